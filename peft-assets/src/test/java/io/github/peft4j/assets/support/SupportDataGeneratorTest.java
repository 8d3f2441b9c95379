package io.github.peft4j.assets.support;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.peft4j.assets.TestAssets;
import io.github.peft4j.assets.support.SupportExample.Origin;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SupportDataGeneratorTest {

    /** Written by hand from the brief, not read from the templates: what each topic's answers must state. */
    private static final Map<String, List<String>> FACTS_OF_TOPIC = Map.ofEntries(
            Map.entry("return_window", List.of("return_window_days")),
            Map.entry("return_how", List.of("returns_url")),
            Map.entry("refund_timing", List.of("refund_days")),
            Map.entry("restocking_fee", List.of("restocking_fee_percent")),
            Map.entry("final_sale", List.of("final_sale_discount_percent")),
            Map.entry("exchange", List.of("return_window_days")),
            Map.entry("shipping_cost", List.of("free_shipping_threshold", "standard_shipping_cost")),
            Map.entry("delivery_time", List.of("standard_carrier", "standard_days")),
            Map.entry("express_shipping", List.of("express_carrier", "express_days", "express_cost")),
            Map.entry("international", List.of("intl_carrier", "intl_days", "intl_cost")),
            Map.entry("order_status", List.of("dispatch_days", "tracking_url")),
            Map.entry("cancel_order", List.of("cancel_window_minutes")),
            Map.entry("payment", List.of("payment_methods")),
            Map.entry("warranty", List.of("warranty_years")),
            Map.entry("damaged_item", List.of("damage_report_days")),
            Map.entry("escalation", List.of("human_reply_hours", "support_hours")),
            Map.entry("product_material", List.of()),
            Map.entry("product_care", List.of()),
            Map.entry("product_sizing", List.of()));

    private static final Pattern FACT_ROW = Pattern.compile("^\\| `([a-z_]+)` \\| (.+?) \\| .+ \\|$");
    private static final Pattern PRODUCT_ROW = Pattern.compile("^\\| ([A-Z][^|]+?) \\| (material|care|sizing) \\| (.+?) \\| (.+) \\|$");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<Language, Set<String>> STOPWORDS = Map.of(
            Language.EN, Set.of("the", "you", "your", "we", "our", "is", "are", "and", "for", "of", "to", "with",
                    "at", "it", "a", "on", "can", "within", "days"),
            Language.DE, Set.of("sie", "ihr", "ihre", "ihnen", "wir", "die", "der", "das", "den", "dem", "und", "ist",
                    "mit", "für", "von", "bei", "nach", "nicht", "eine", "einer", "gibt", "innerhalb", "tagen"),
            Language.ES, Set.of("el", "la", "los", "las", "de", "y", "tu", "te", "con", "que", "por", "para", "del",
                    "un", "una", "se", "no", "días", "al"));

    private static SupportDataGenerator.Dataset data;
    private static Path dir;

    @BeforeAll
    static void generate() {
        data = new SupportDataGenerator(SupportDataGenerator.SEED).generate();
        dir = TestAssets.dir().resolve("data/support");
    }

    @Test
    void sameSeedSameBytesAndTheCommittedFilesAreThatOutput(@TempDir Path tmp) throws Exception {
        SupportDataGenerator.Dataset again = new SupportDataGenerator(SupportDataGenerator.SEED).generate();
        assertEquals(SupportDataGenerator.jsonl(data.train()), SupportDataGenerator.jsonl(again.train()));
        assertEquals(SupportDataGenerator.jsonl(data.eval()), SupportDataGenerator.jsonl(again.eval()));
        SupportDataGenerator.write(again, NorthwindPolicy.load(), tmp);
        for (String f : List.of("train.jsonl", "eval.jsonl", "POLICY.md", "README.md")) {
            assertArrayEquals(Files.readAllBytes(dir.resolve(f)), Files.readAllBytes(tmp.resolve(f)),
                    f + " is stale: regenerate with SupportDataGenerator (docs/assets.md)");
        }
        assertNotEquals(SupportDataGenerator.jsonl(data.train()),
                SupportDataGenerator.jsonl(new SupportDataGenerator(SupportDataGenerator.SEED + 1).generate().train()));
    }

    @Test
    void countsAndSharesAreAsDocumented() throws Exception {
        assertEquals(600, data.train().size());
        assertEquals(120, data.eval().size());
        assertEquals(600, Files.readAllLines(dir.resolve("train.jsonl")).size());
        assertEquals(120, Files.readAllLines(dir.resolve("eval.jsonl")).size());
        List<SupportExample> originals = data.train().stream().filter(e -> e.origin() == Origin.ORIGINAL).toList();
        assertEquals(570, originals.size());
        assertEquals(15, data.train().stream().filter(e -> e.origin() == Origin.EXACT_DUPLICATE).count());
        assertEquals(15, data.train().stream().filter(e -> e.origin() == Origin.NEAR_DUPLICATE).count());
        assertLanguages(originals, 399, 114, 57);
        assertLanguages(data.eval(), 84, 24, 12);
        for (Language l : Language.values()) {
            double share = data.train().stream().filter(e -> e.language() == l).count() / 600.0;
            double expected = l == Language.EN ? 0.7 : l == Language.DE ? 0.2 : 0.1;
            assertEquals(expected, share, 0.02, l.displayName());
        }
        assertEquals(143, originals.stream().filter(SupportExample::chat).count()); // 25% of 570, rounded
        assertEquals(30, data.eval().stream().filter(SupportExample::chat).count());
        // Every topic is asked in both files, and evaluation covers the topics evenly.
        for (String topic : FACTS_OF_TOPIC.keySet()) {
            long inEval = data.eval().stream().filter(e -> e.topic().equals(topic)).count();
            assertTrue(inEval == 6 || inEval == 7, topic + ": " + inEval);
            assertTrue(data.train().stream().anyMatch(e -> e.topic().equals(topic)), topic);
        }
    }

    private static void assertLanguages(List<SupportExample> examples, int en, int de, int es) {
        assertEquals(en, examples.stream().filter(e -> e.language() == Language.EN).count());
        assertEquals(de, examples.stream().filter(e -> e.language() == Language.DE).count());
        assertEquals(es, examples.stream().filter(e -> e.language() == Language.ES).count());
    }

    @Test
    void everyAnswerStatesThePolicyValuesOfItsTopicAsPolicyMdHasThem() throws Exception {
        Map<String, String> policy = new HashMap<>();
        Map<String, String[]> products = new HashMap<>(); // "name|fact" -> {key, English text}
        for (String line : Files.readAllLines(dir.resolve("POLICY.md"))) {
            Matcher m = FACT_ROW.matcher(line);
            if (m.matches()) {
                policy.put(m.group(1), m.group(2));
            }
            m = PRODUCT_ROW.matcher(line);
            if (m.matches()) {
                products.put(m.group(1) + "|" + m.group(2), new String[] {m.group(3), m.group(4)});
            }
        }
        assertEquals("30", policy.get("return_window_days"));
        assertEquals("$75", policy.get("free_shipping_threshold"));
        assertEquals(8 * 3, products.size());
        Set<String> topics = new HashSet<>();
        for (SupportTemplates.Topic t : SupportTemplates.load().topics()) {
            topics.add(t.id());
        }
        assertEquals(FACTS_OF_TOPIC.keySet(), topics);

        List<SupportExample> all = new ArrayList<>(data.train());
        all.addAll(data.eval());
        for (SupportExample e : all) {
            for (String key : FACTS_OF_TOPIC.get(e.topic())) {
                String value = policy.get(key);
                assertNotNull(value, key + " missing from POLICY.md");
                for (String surface : surfaces(value, e.language())) {
                    assertTrue(e.completion().contains(surface),
                            e.topic() + " answer lacks " + key + " = '" + surface + "': " + e.completion());
                }
            }
            if (e.topic().startsWith("product_")) {
                String fact = e.topic().substring("product_".length());
                List<String> named = products.keySet().stream().map(k -> k.substring(0, k.indexOf('|')))
                        .filter(name -> e.prompt().contains(name)).distinct().toList();
                assertEquals(1, named.size(), "one product in: " + e.prompt());
                String[] row = products.get(named.get(0) + "|" + fact);
                assertTrue(e.completion().contains(row[0]), "lacks '" + row[0] + "': " + e.completion());
                if (e.language() == Language.EN) {
                    assertTrue(e.completion().contains(row[1]), e.completion());
                }
            }
        }
    }

    /** How a value of POLICY.md reads in an answer, written here independently of the generator. */
    private static List<String> surfaces(String value, Language language) {
        boolean en = language == Language.EN;
        if (value.matches("\\$[0-9.]+")) {
            String number = value.substring(1);
            return List.of(en ? value : number.replace('.', ',') + " $");
        }
        if (value.matches("[0-9]+%")) {
            return List.of(en ? value : value.replace("%", " %"));
        }
        return List.of(value.split(", "));
    }

    @Test
    void answersAreShortCompleteAndInTheirLanguage() {
        List<SupportExample> all = new ArrayList<>(data.train());
        all.addAll(data.eval());
        for (SupportExample e : all) {
            String answer = e.completion();
            int sentences = answer.strip().split("(?<=[.!?])\\s+").length;
            assertTrue(sentences >= 1 && sentences <= 3, sentences + " sentences: " + answer);
            assertTrue(answer.length() < 320, answer);
            assertFalse(answer.contains("{") || e.prompt().contains("{"), "unfilled placeholder: " + e);
            // The answer's own language has the most common function words of the three.
            Map<Language, Integer> score = new HashMap<>();
            for (Language l : Language.values()) {
                score.put(l, (int) Pattern.compile("[\\p{L}]+").matcher(answer.toLowerCase(java.util.Locale.ROOT))
                        .results().filter(w -> STOPWORDS.get(l).contains(w.group())).count());
            }
            for (Language other : Language.values()) {
                assertTrue(other == e.language() || score.get(e.language()) > score.get(other),
                        e.language() + " " + score + ": " + answer);
            }
        }
    }

    @Test
    void evalQuestionsNeverOccurInTraining() throws Exception {
        Set<String> train = new HashSet<>();
        for (String line : Files.readAllLines(dir.resolve("train.jsonl"))) {
            train.add(SupportExample.normalize(question(JSON.readTree(line))));
        }
        for (String line : Files.readAllLines(dir.resolve("eval.jsonl"))) {
            String q = question(JSON.readTree(line));
            assertFalse(train.contains(SupportExample.normalize(q)), q);
        }
        // And by construction: no phrasing is both a training and an evaluation phrasing.
        Set<String> trainPhrasings = new HashSet<>();
        Set<String> evalPhrasings = new HashSet<>();
        for (SupportTemplates.Topic t : SupportTemplates.load().topics()) {
            for (Language l : Language.values()) {
                trainPhrasings.addAll(t.prompts(l).train());
                evalPhrasings.addAll(t.prompts(l).eval());
            }
        }
        evalPhrasings.retainAll(trainPhrasings);
        assertEquals(Set.of(), evalPhrasings);
    }

    @Test
    void theFilesHoldExactlyThePlantedDuplicates() throws Exception {
        assertDuplicates(dir.resolve("train.jsonl"), 15, 15);
        assertDuplicates(dir.resolve("eval.jsonl"), 0, 0);
    }

    private static void assertDuplicates(Path file, int exact, int near) throws Exception {
        Set<String> lines = new HashSet<>();
        Set<String> normalized = new HashSet<>();
        int exactFound = 0;
        int nearFound = 0;
        for (String line : Files.readAllLines(file)) {
            JsonNode node = JSON.readTree(line);
            String key = (node.has("messages") ? "chat:" : "pc:") + SupportExample.normalize(question(node))
                    + "\u0000" + answer(node);
            if (!lines.add(line)) {
                exactFound++;
            } else if (!normalized.add(key)) {
                nearFound++;
            }
            normalized.add(key);
        }
        assertEquals(exact, exactFound, file + " exact duplicates");
        assertEquals(near, nearFound, file + " near duplicates");
    }

    @Test
    void linesAreJsonInOneOfTwoForms() throws Exception {
        for (String f : List.of("train.jsonl", "eval.jsonl")) {
            for (String line : Files.readAllLines(dir.resolve(f))) {
                JsonNode node = JSON.readTree(line);
                List<String> fields = new ArrayList<>();
                node.fieldNames().forEachRemaining(fields::add);
                if (fields.equals(List.of("messages"))) {
                    JsonNode m = node.get("messages");
                    assertEquals(2, m.size());
                    assertEquals("user", m.get(0).get("role").asText());
                    assertEquals("assistant", m.get(1).get("role").asText());
                } else {
                    assertEquals(List.of("prompt", "completion"), fields, line);
                }
                assertFalse(question(node).isBlank() || answer(node).isBlank(), line);
            }
        }
    }

    @Test
    void personalDataIsPresentAndFictional() throws Exception {
        Pattern anyEmail = Pattern.compile("[\\w.+-]+@[\\w-]+(?:\\.[\\w-]+)+");
        Pattern anyPhone = Pattern.compile("(?:\\+1 )?\\(?\\d{3}\\)?[-. ]\\d{3}[-. ]\\d{4}");
        int emails = 0;
        int phones = 0;
        int orders = 0;
        List<String> lines = Files.readAllLines(dir.resolve("train.jsonl"));
        lines.addAll(Files.readAllLines(dir.resolve("eval.jsonl")));
        for (String line : lines) {
            JsonNode node = JSON.readTree(line);
            String text = question(node) + "\n" + answer(node);
            Matcher m = anyEmail.matcher(text);
            boolean hasEmail = false;
            while (m.find()) {
                assertTrue(m.group().matches(".+@example\\.(com|org|net)"), m.group());
                hasEmail = true;
            }
            m = anyPhone.matcher(text);
            boolean hasPhone = false;
            while (m.find()) {
                assertTrue(m.group().replaceAll("\\D", "").matches("1?\\d{3}55501\\d\\d"), m.group());
                hasPhone = true;
            }
            emails += hasEmail ? 1 : 0;
            phones += hasPhone ? 1 : 0;
            orders += FakeContacts.ORDER.matcher(text).find() ? 1 : 0;
        }
        assertTrue(emails > 0.08 * lines.size(), emails + " lines with e-mail");
        assertTrue(phones > 0.05 * lines.size(), phones + " lines with phone");
        assertTrue(orders > 0.15 * lines.size(), orders + " lines with order number");
        // Answers about an order repeat the order number of the question.
        for (SupportExample e : data.train()) {
            if (e.topic().equals("order_status") || e.topic().equals("cancel_order")) {
                Matcher m = FakeContacts.ORDER.matcher(e.prompt());
                assertTrue(m.find(), e.prompt());
                assertTrue(e.completion().contains(m.group()), e.completion());
            }
        }
    }

    @Test
    void languagesWriteAmountsTheirWay() {
        assertEquals("$6.95", Language.EN.money("6.95"));
        assertEquals("6,95 $", Language.DE.money("6.95"));
        assertEquals("75 $", Language.ES.money("75"));
        assertEquals("15 %", Language.DE.percent("15"));
        assertEquals("a, b y c", Language.ES.list(List.of("a", "b", "c")));
        NorthwindPolicy policy = NorthwindPolicy.load();
        assertEquals("Visa, Mastercard, American Express und PayPal", policy.render("payment_methods", Language.DE));
        assertEquals("24,95 $", policy.render("intl_cost", Language.ES));
        assertEquals("UPS Ground", policy.render("standard_carrier", Language.DE));
    }

    private static String question(JsonNode node) {
        return node.has("messages") ? node.get("messages").get(0).get("content").asText() : node.get("prompt").asText();
    }

    private static String answer(JsonNode node) {
        return node.has("messages") ? node.get("messages").get(1).get("content").asText()
                : node.get("completion").asText();
    }
}
