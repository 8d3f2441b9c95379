package io.github.peft4j.assets.support;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

/**
 * The phrasings of the support dataset, read from {@code support-templates.json}: per topic and
 * language, customer questions (split into phrasings for training and phrasings reserved for
 * evaluation) and answers; plus greetings and the sentences that put contact details and order
 * numbers into a question. Placeholders in braces ({@code {product}}, {@code {order}},
 * {@code {email}}, {@code {phone}}, {@code {product_fact}} and policy keys such as
 * {@code {return_window_days}}) are filled by {@link SupportDataGenerator}.
 *
 * <pre>{@code
 * SupportTemplates t = SupportTemplates.load();
 * t.topics().get(0).prompts().get("en").train();
 * }</pre>
 */
public final class SupportTemplates {

    /**
     * The questions of one topic in one language.
     *
     * @param train phrasings used in {@code train.jsonl}
     * @param eval phrasings used only in {@code eval.jsonl}
     */
    public record Phrasings(List<String> train, List<String> eval) {
        /**
         * @param split the split
         * @return its phrasings
         */
        public List<String> of(Split split) {
            return split == Split.TRAIN ? train : eval;
        }
    }

    /**
     * One kind of customer request.
     *
     * @param id topic name
     * @param weight how often it is drawn, relative to the others
     * @param facts policy keys every answer states
     * @param productFact for product questions: {@code material}, {@code care} or {@code sizing}
     * @param echoesOrder whether every question carries an order number that the answers repeat
     * @param prompts questions by language code
     * @param answers answers by language code
     */
    public record Topic(String id, int weight, List<String> facts, String productFact, boolean echoesOrder,
            Map<String, Phrasings> prompts, Map<String, List<String>> answers) {

        /** Missing lists become empty ones. */
        public Topic {
            facts = facts == null ? List.of() : List.copyOf(facts);
        }

        /**
         * @param language a language
         * @return the questions in it
         */
        public Phrasings prompts(Language language) {
            return prompts.get(language.code());
        }

        /**
         * @param language a language
         * @return the answers in it
         */
        public List<String> answers(Language language) {
            return answers.get(language.code());
        }
    }

    /** The two splits of the dataset. */
    public enum Split {
        /** train.jsonl */
        TRAIN,
        /** eval.jsonl */
        EVAL
    }

    private record File(Map<String, List<String>> greetings, Map<String, List<String>> emailAddons,
            Map<String, List<String>> phoneAddons, Map<String, List<String>> orderAddons, List<Topic> topics) {
    }

    private final File file;

    private SupportTemplates(File file) {
        this.file = file;
        for (Topic t : file.topics()) {
            for (Language l : Language.values()) {
                if (t.prompts(l) == null || t.prompts(l).train().isEmpty() || t.prompts(l).eval().isEmpty()
                        || t.answers(l) == null || t.answers(l).isEmpty()) {
                    throw new IllegalStateException("topic " + t.id() + " lacks questions or answers in "
                            + l.displayName());
                }
                if (t.echoesOrder() && !t.prompts(l).train().stream().allMatch(q -> q.contains("{order}"))
                        || t.echoesOrder() && !t.prompts(l).eval().stream().allMatch(q -> q.contains("{order}"))) {
                    throw new IllegalStateException("topic " + t.id() + " repeats the order number, so every "
                            + l.displayName() + " question must contain {order}");
                }
            }
        }
    }

    /** @return the templates bundled with peft4j */
    public static SupportTemplates load() {
        try (InputStream in = SupportTemplates.class.getResourceAsStream("support-templates.json")) {
            ObjectMapper json = new ObjectMapper()
                    .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                    .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
            return new SupportTemplates(json.readValue(in, File.class));
        } catch (IOException e) {
            throw new UncheckedIOException("bundled resource support-templates.json", e);
        }
    }

    /** @return the topics */
    public List<Topic> topics() {
        return file.topics();
    }

    /**
     * @param language a language
     * @return greetings that may open a question
     */
    public List<String> greetings(Language language) {
        return file.greetings().get(language.code());
    }

    /**
     * @param language a language
     * @return sentences giving an e-mail address ({@code {email}})
     */
    public List<String> emailAddons(Language language) {
        return file.emailAddons().get(language.code());
    }

    /**
     * @param language a language
     * @return sentences giving a phone number ({@code {phone}})
     */
    public List<String> phoneAddons(Language language) {
        return file.phoneAddons().get(language.code());
    }

    /**
     * @param language a language
     * @return sentences giving an order number ({@code {order}})
     */
    public List<String> orderAddons(Language language) {
        return file.orderAddons().get(language.code());
    }
}
