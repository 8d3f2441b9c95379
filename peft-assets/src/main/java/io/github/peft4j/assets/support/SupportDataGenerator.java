package io.github.peft4j.assets.support;

import io.github.peft4j.assets.support.SupportExample.Origin;
import io.github.peft4j.assets.support.SupportTemplates.Split;
import io.github.peft4j.assets.support.SupportTemplates.Topic;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.files.AtomicFiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Writes the customer-support dataset of the main job: questions to Northwind Outfitters, a
 * fictional outdoor retailer, with short answers that state its policy ({@link NorthwindPolicy}).
 *
 * <p>Composition, all from one seeded {@link Random}, so the same seed gives the same bytes:
 * <ul>
 *   <li>{@code train.jsonl}: {@value #TRAIN_ORIGINALS} distinct examples (70% English, 20% German,
 *       10% Spanish) plus {@value #EXACT_DUPLICATES} exact and {@value #NEAR_DUPLICATES} near
 *       duplicates of some of them (same question up to case, spacing and punctuation), for the
 *       deduplication step;</li>
 *   <li>{@code eval.jsonl}: {@value #EVAL_SIZE} examples in the same language shares whose
 *       questions use phrasings reserved for evaluation, so no eval question occurs in training;</li>
 *   <li>a quarter of each file in the chat form ({@code messages}), the rest as prompt/completion;</li>
 *   <li>questions sometimes open with a greeting and carry an e-mail address, a phone number or an
 *       order number ({@link FakeContacts}), for the personal-data curation step; answers about an
 *       order repeat its number.</li>
 * </ul>
 *
 * <p>Command (see {@code docs/assets.md}):
 * <pre>{@code
 * mvn -q -pl peft-assets exec:java@support-data
 * # = SupportDataGenerator assets/data/support
 * }</pre>
 *
 * <pre>{@code
 * SupportDataGenerator.Dataset data = new SupportDataGenerator(SupportDataGenerator.SEED).generate();
 * SupportDataGenerator.write(data, Path.of("assets/data/support"));
 * }</pre>
 */
public final class SupportDataGenerator {

    /** Seed of the committed dataset. */
    public static final long SEED = 9;
    /** Distinct training examples. */
    public static final int TRAIN_ORIGINALS = 570;
    /** Byte-identical copies planted in the training file. */
    public static final int EXACT_DUPLICATES = 15;
    /** Copies whose question differs only in case, spacing or punctuation. */
    public static final int NEAR_DUPLICATES = 15;
    /** Evaluation examples. */
    public static final int EVAL_SIZE = 120;
    /** Share of German examples. */
    public static final double GERMAN_SHARE = 0.20;
    /** Share of Spanish examples. */
    public static final double SPANISH_SHARE = 0.10;
    /** Share of examples in the {@code messages} form. */
    public static final double CHAT_SHARE = 0.25;

    private static final double GREETING = 0.30;
    private static final double ORDER_ADDON = 0.12;
    private static final double EMAIL_ADDON = 0.15;
    private static final double PHONE_ADDON = 0.10;
    private static final double HASH_BEFORE_ORDER = 0.30;
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([a-z_]+)}");

    /**
     * The generated dataset.
     *
     * @param train the lines of {@code train.jsonl}, in order
     * @param eval the lines of {@code eval.jsonl}, in order
     */
    public record Dataset(List<SupportExample> train, List<SupportExample> eval) {
    }

    private final NorthwindPolicy policy;
    private final SupportTemplates templates;
    private final Random random;
    private final FakeContacts contacts;
    private final Set<String> seenPrompts = new HashSet<>();

    /** @param seed the seed; {@link #SEED} gives the committed files */
    public SupportDataGenerator(long seed) {
        this(NorthwindPolicy.load(), SupportTemplates.load(), seed);
    }

    /**
     * @param policy the policy the answers state
     * @param templates the phrasings
     * @param seed the seed
     */
    public SupportDataGenerator(NorthwindPolicy policy, SupportTemplates templates, long seed) {
        this.policy = policy;
        this.templates = templates;
        this.random = new Random(seed);
        this.contacts = new FakeContacts(random);
    }

    /** @return the dataset; call once per generator */
    public Dataset generate() {
        List<SupportExample> train = new ArrayList<>(originals(Split.TRAIN, TRAIN_ORIGINALS));
        List<Integer> sources = new ArrayList<>();
        for (int i = 0; i < train.size(); i++) {
            sources.add(i);
        }
        Collections.shuffle(sources, random);
        List<SupportExample> copies = new ArrayList<>();
        for (int i = 0; i < EXACT_DUPLICATES; i++) {
            copies.add(train.get(sources.get(i)).withPrompt(train.get(sources.get(i)).prompt(), Origin.EXACT_DUPLICATE));
        }
        for (int i = EXACT_DUPLICATES; i < EXACT_DUPLICATES + NEAR_DUPLICATES; i++) {
            SupportExample source = train.get(sources.get(i));
            copies.add(source.withPrompt(nearDuplicate(source.prompt()), Origin.NEAR_DUPLICATE));
        }
        for (SupportExample copy : copies) {
            train.add(random.nextInt(train.size() + 1), copy);
        }
        List<SupportExample> eval = originals(Split.EVAL, EVAL_SIZE);
        return new Dataset(List.copyOf(train), eval);
    }

    private List<SupportExample> originals(Split split, int n) {
        List<Language> languages = new ArrayList<>();
        int german = (int) Math.round(n * GERMAN_SHARE);
        int spanish = (int) Math.round(n * SPANISH_SHARE);
        for (int i = 0; i < n; i++) {
            languages.add(i < german ? Language.DE : i < german + spanish ? Language.ES : Language.EN);
        }
        Collections.shuffle(languages, random);
        List<Topic> topics = topicPlan(split, n);
        List<SupportExample> drawn = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            drawn.add(drawUnique(split, languages.get(i), topics.get(i)));
        }
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            order.add(i);
        }
        Collections.shuffle(order, random);
        Set<Integer> chat = new HashSet<>(order.subList(0, (int) Math.round(n * CHAT_SHARE)));
        List<SupportExample> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            SupportExample e = drawn.get(i);
            out.add(new SupportExample(e.language(), e.topic(), e.prompt(), e.completion(), chat.contains(i), e.origin()));
        }
        return out;
    }

    // Questions are unique across both files after normalisation: only the planted duplicates repeat.
    private SupportExample drawUnique(Split split, Language language, Topic topic) {
        for (int attempt = 0; attempt < 200; attempt++) {
            SupportExample e = draw(split, language, topic);
            if (seenPrompts.add(SupportExample.normalize(e.prompt()))) {
                return e;
            }
        }
        throw new IllegalStateException("templates too few to draw another distinct " + language.displayName()
                + " " + split + " question about " + topic.id());
    }

    /**
     * Topics of the n examples of a split, in random order: training follows the topic weights (order
     * status is asked most), evaluation covers every topic about equally so that each is measured.
     */
    private List<Topic> topicPlan(Split split, int n) {
        List<Topic> cycle = new ArrayList<>();
        for (Topic t : templates.topics()) {
            for (int w = 0; w < (split == Split.TRAIN ? t.weight() : 1); w++) {
                cycle.add(t);
            }
        }
        List<Topic> plan = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            plan.add(cycle.get(i % cycle.size()));
        }
        Collections.shuffle(plan, random);
        return plan;
    }

    private SupportExample draw(Split split, Language language, Topic topic) {
        String template = pick(topic.prompts(language).of(split));
        NorthwindPolicy.Product product = pick(policy.products());
        String order = contacts.orderNumber();

        Map<String, String> slots = new HashMap<>();
        slots.put("product", product.name());
        slots.put("order", random.nextDouble() < HASH_BEFORE_ORDER ? "#" + order : order);
        StringBuilder prompt = new StringBuilder();
        if (random.nextDouble() < GREETING) {
            prompt.append(pick(templates.greetings(language))).append(' ');
        }
        prompt.append(fill(template, slots, language));
        if (!template.contains("{order}") && random.nextDouble() < ORDER_ADDON) {
            prompt.append(' ').append(fill(pick(templates.orderAddons(language)), slots, language));
        }
        if (random.nextDouble() < EMAIL_ADDON) {
            slots.put("email", contacts.email(language));
            prompt.append(' ').append(fill(pick(templates.emailAddons(language)), slots, language));
        }
        if (random.nextDouble() < PHONE_ADDON) {
            slots.put("phone", contacts.phone());
            prompt.append(' ').append(fill(pick(templates.phoneAddons(language)), slots, language));
        }

        String answerTemplate = pick(topic.answers(language));
        if (answerTemplate.contains("{order}") && !topic.echoesOrder()) {
            throw new IllegalStateException("topic " + topic.id() + " answers with an order number the question lacks");
        }
        slots.put("order", order);
        if (topic.productFact() != null) {
            slots.put("product_fact", product.fact(topic.productFact()).text(language));
        }
        String completion = fill(answerTemplate, slots, language);
        return new SupportExample(language, topic.id(), prompt.toString(), completion, false, Origin.ORIGINAL);
    }

    private String fill(String template, Map<String, String> slots, Language language) {
        Matcher m = PLACEHOLDER.matcher(template);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String name = m.group(1);
            String value = slots.containsKey(name) ? slots.get(name) : policy.render(name, language);
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** The same question up to case, spacing or final punctuation (equal after {@link SupportExample#normalize}). */
    private String nearDuplicate(String prompt) {
        int first = random.nextInt(4);
        for (int k = 0; k < 4; k++) {
            String candidate = switch ((first + k) % 4) {
                case 0 -> prompt.toLowerCase(Locale.ROOT);
                case 1 -> {
                    int space = prompt.indexOf(' ', random.nextInt(prompt.length()));
                    yield space < 0 ? prompt : prompt.substring(0, space) + "  " + prompt.substring(space + 1);
                }
                case 2 -> prompt.endsWith("?") ? prompt + "?" : prompt.endsWith(".") ? prompt.substring(0, prompt.length() - 1)
                        : prompt + "!";
                default -> prompt + " ";
            };
            if (!candidate.equals(prompt)) {
                return candidate;
            }
        }
        throw new IllegalStateException("cannot vary " + prompt);
    }

    private <T> T pick(List<T> options) {
        return options.get(random.nextInt(options.size()));
    }

    /**
     * @param examples examples
     * @return the JSON Lines text: one object per line, each line ending in {@code \n}
     */
    public static String jsonl(List<SupportExample> examples) {
        StringBuilder sb = new StringBuilder();
        for (SupportExample e : examples) {
            sb.append(e.toJsonLine()).append('\n');
        }
        return sb.toString();
    }

    /**
     * Writes {@code train.jsonl}, {@code eval.jsonl}, {@code POLICY.md} and {@code README.md}.
     *
     * @param data the dataset
     * @param policy the policy it states
     * @param dir the target folder, created if needed
     */
    public static void write(Dataset data, NorthwindPolicy policy, Path dir) {
        AtomicFiles.write(dir.resolve("train.jsonl"), jsonl(data.train()).getBytes(StandardCharsets.UTF_8));
        AtomicFiles.write(dir.resolve("eval.jsonl"), jsonl(data.eval()).getBytes(StandardCharsets.UTF_8));
        AtomicFiles.write(dir.resolve("POLICY.md"), PolicySheet.render(policy).getBytes(StandardCharsets.UTF_8));
        AtomicFiles.write(dir.resolve("README.md"), SupportDataReadme.render(data, policy).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * {@code SupportDataGenerator <output dir> [--seed N]}
     *
     * @param args the command line
     */
    public static void main(String[] args) {
        if (args.length != 1 && !(args.length == 3 && args[1].equals("--seed"))) {
            System.err.println("usage: SupportDataGenerator <output dir> [--seed N]");
            System.exit(2);
        }
        long seed = SEED;
        if (args.length == 3) {
            try {
                seed = Long.parseLong(args[2]);
            } catch (NumberFormatException e) {
                throw new PeftConfigException("--seed: expected a whole number but found " + args[2]);
            }
        }
        NorthwindPolicy policy = NorthwindPolicy.load();
        Dataset data = new SupportDataGenerator(policy, SupportTemplates.load(), seed).generate();
        Path dir = Path.of(args[0]);
        write(data, policy, dir);
        System.out.printf("%s: %d training and %d eval examples%n", dir, data.train().size(), data.eval().size());
    }
}
