package io.github.peft4j.train.data.preference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.peft4j.core.PeftFormatException;
import io.github.peft4j.models.tokenizer.HfTokenizer;
import io.github.peft4j.train.curation.Curator;
import io.github.peft4j.train.curation.PiiAnonymizer;
import io.github.peft4j.train.data.Batch;
import io.github.peft4j.train.data.BadLineReason;
import io.github.peft4j.train.data.ChatMessage;
import io.github.peft4j.train.data.JsonlReader;
import io.github.peft4j.train.data.TextTokenizer;
import io.github.peft4j.train.data.Tokenization;
import io.github.peft4j.train.testing.Fixtures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TRL's preference formats read, curated and tokenized with prompt-masked labels. */
class PreferenceDataTest {

    private static final int M = -100;
    static HfTokenizer tokenizer;

    @TempDir
    Path tmp;

    @BeforeAll
    static void load() {
        tokenizer = Fixtures.tinyTokenizer();
    }

    @AfterAll
    static void close() {
        tokenizer.close();
    }

    private Path file(String... lines) throws IOException {
        Path f = tmp.resolve("prefs.jsonl");
        Files.writeString(f, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
        return f;
    }

    private static List<ChatMessage> user(String text) {
        return List.of(new ChatMessage("user", text));
    }

    private static List<ChatMessage> assistant(String text) {
        return List.of(new ChatMessage("assistant", text));
    }

    @Test
    void readsStandardConversationalAndImplicitPrompts() throws IOException {
        Path f = file(
                "{\"prompt\": \"the cat\", \"chosen\": \" sat\", \"rejected\": \" ran\", \"score\": 3}",
                "",
                "{\"prompt\": [{\"role\": \"user\", \"content\": \"hi\"}], \"chosen\": [{\"role\": \"assistant\","
                        + " \"content\": \"hello\"}], \"rejected\": [{\"role\": \"assistant\", \"content\": \"no\"}]}",
                "{\"chosen\": \"the dog is big\", \"rejected\": \"the dog was small\"}",
                "{\"chosen\": [{\"role\": \"user\", \"content\": \"q\"}, {\"role\": \"assistant\", \"content\": \"a\"}],"
                        + " \"rejected\": [{\"role\": \"user\", \"content\": \"q\"}, {\"role\": \"assistant\", \"content\": \"b\"}]}");
        List<PreferencePair> pairs = PreferenceParser.read(f, true).records();
        assertEquals(4, pairs.size());
        assertEquals(new PreferencePair.Standard("the cat", " sat", " ran", "prefs.jsonl:1"), pairs.get(0));
        assertEquals(new PreferencePair.Conversational(user("hi"), assistant("hello"), assistant("no"), "prefs.jsonl:3"),
                pairs.get(1));
        // TRL's extract_prompt: the space before the first difference goes to the answers
        assertEquals(new PreferencePair.Standard("the dog", " is big", " was small", "prefs.jsonl:4"), pairs.get(2));
        assertEquals(new PreferencePair.Conversational(user("q"), assistant("a"), assistant("b"), "prefs.jsonl:5"),
                pairs.get(3));
    }

    @Test
    void badLinesNameFileLineAndReason() throws IOException {
        Path missing = file("{\"prompt\": \"a\", \"chosen\": \"b\", \"rejected\": \"c\"}",
                "{\"prompt\": \"a\", \"chosen\": \"b\"}");
        PeftFormatException e = assertThrows(PeftFormatException.class, () -> PreferenceParser.read(missing, true));
        assertEquals("line 2", e.key());
        assertTrue(e.getMessage().contains("missing \"rejected\" (keys present: [chosen, prompt])"), e.getMessage());

        Path mixed = file("{\"prompt\": \"a\", \"chosen\": [{\"role\": \"assistant\", \"content\": \"b\"}],"
                        + " \"rejected\": [{\"role\": \"assistant\", \"content\": \"c\"}]}",
                "not json", "{\"text\": \"sft\"}", "{\"prompt\": \"a\", \"chosen\": \"b\", \"rejected\": \"c\"}");
        JsonlReader.Parsed<PreferencePair> r = PreferenceParser.read(mixed, false);
        assertEquals(1, r.records().size());
        assertEquals(List.of(BadLineReason.WRONG_TYPE, BadLineReason.INVALID_JSON, BadLineReason.UNKNOWN_SHAPE),
                r.skipped().stream().map(JsonlReader.BadLine::reason).toList());
        assertEquals("\"prompt\" must be a message list, as \"chosen\" is; found STRING", r.skipped().get(0).problem());
    }

    @Test
    void curationDedupsWholePairsAndAnonymisesEveryPart() {
        List<PreferencePair> pairs = List.of(
                new PreferencePair.Standard("mail me", " at bob@example.com", " no"),
                new PreferencePair.Conversational(user("Hi"), assistant("Hello!"), assistant("Go away")),
                new PreferencePair.Conversational(user("hi"), assistant("hello!"), assistant("go   away")),
                // same texts, chosen and rejected swapped: another preference, kept
                new PreferencePair.Conversational(user("Hi"), assistant("Go away"), assistant("Hello!")));
        Curator curator = Curator.builder().exactDedup(true).anonymizer(PiiAnonymizer.defaults()).build();
        PreferenceCuration.Result r = PreferenceCuration.curate(curator, pairs, 0);
        assertEquals(1, r.report().exactDuplicates());
        assertEquals(List.of(new PreferencePair.Standard("mail me", " at <EMAIL>", " no"), pairs.get(1), pairs.get(3)),
                r.pairs());
    }

    @Test
    void answersAreTokenizedAfterTheTemplatedPromptWithPromptLabelsMasked() {
        TextTokenizer tok = TextTokenizer.of(tokenizer);
        PreferenceTokenization pt = new PreferenceTokenization(Tokenization.builder(tok).build());
        PreferenceExample e = pt.tokenize(new PreferencePair.Conversational(user("is the dog big"),
                assistant("yes"), assistant("no it is small")));
        // <|im_start|> user is the dog big <|im_end|> <|im_start|> assistant | yes <|im_end|> <eos>
        int[] prompt = {3, 30, 20, 5, 8, 18, 4, 3, 31};
        assertArrayEquals(concat(prompt, new int[] {28, 4, 1}), e.chosen().inputIds());
        assertArrayEquals(new int[] {M, M, M, M, M, M, M, M, M, 28, 4, 1}, e.chosen().labels());
        assertArrayEquals(concat(prompt, new int[] {29, 43, 20, 19, 4, 1}), e.rejected().inputIds());
        assertEquals(6, e.rejected().trainedTokens());

        PreferenceExample s = pt.tokenize(new PreferencePair.Standard("the cat", " sat", " ran on the mat"));
        assertArrayEquals(new int[] {5, 7, 9, 1}, s.chosen().inputIds());
        assertArrayEquals(new int[] {M, M, 9, 1}, s.chosen().labels());

        // a batch of n pairs: n chosen rows, then n rejected rows, padded to one length
        PreferenceDataset data = new PreferenceDataset(List.of(e, s),
                io.github.peft4j.train.data.Batching.builder(0).build());
        Batch b = data.batch(new int[] {1, 0});
        assertEquals(4, b.size());
        assertEquals(15, b.sequenceLength());
        int[][] labels = b.labelRows();
        assertArrayEquals(new int[] {M, M, 9, 1, M, M, M, M, M, M, M, M, M, M, M}, labels[0]);
        assertEquals(28, labels[1][9]);
        assertEquals(11, labels[2][3]);
        assertEquals(29, labels[3][9]);
        assertTrue(data.fingerprint().startsWith("sha256:"));
        assertTrue(!data.fingerprint().equals(new PreferenceDataset(List.of(s, e), data.batching()).fingerprint()));
    }

    @Test
    void aTokenizationThatTrainsPromptsIsRefused() {
        Tokenization all = Tokenization.builder(TextTokenizer.of(tokenizer)).completionOnlyLoss(false).build();
        assertThrows(io.github.peft4j.core.PeftConfigException.class, () -> new PreferenceTokenization(all));
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
