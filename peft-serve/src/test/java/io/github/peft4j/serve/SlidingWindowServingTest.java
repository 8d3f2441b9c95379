package io.github.peft4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sliding-window model is served on the batched decode path, and its completions are those of
 * the per-row path: the bundled base's weights as a Mistral with a window of 5 positions, prompts
 * shorter and longer than the window sent together, 16 tokens each (so every row's cache passes the
 * window, at different steps).
 */
class SlidingWindowServingTest {

    private static final List<String> PROMPTS = List.of("Hi", "Where is my order?",
            "How long do I have to return a jacket that does not fit?", "Refund",
            "Can I exchange the shoes I bought last week for a bigger size, or do I need a new order?");

    @TempDir
    Path root;

    @Test
    void aMistralDecodesBatchedWithThePerRowPathsCompletions() throws Exception {
        Path mistral = windowed(root.resolve("mistral-base"), 5);
        List<String> perRow;
        try (PeftServer server = PeftServer.start(config(mistral, false))) {
            perRow = alone(server, "mistral-base");
        }
        List<String> full;
        try (PeftServer server = PeftServer.start(config(ServeFixtures.BASE, false))) {
            full = alone(server, "base-model");
        }
        assertTrue(!perRow.equals(full), "the window must change the text for the check to mean anything");
        try (PeftServer server = PeftServer.start(config(mistral, true))) {
            assertTrue(server.scheduler().batchedDecode(), "decoded row by row: " + server.scheduler().perRowReason());
            assertEquals(perRow, alone(server, "mistral-base"), "each request alone");
            ExecutorService clients = Executors.newFixedThreadPool(PROMPTS.size() * 2);
            try {
                List<Future<ServeFixtures.Reply>> replies = new ArrayList<>();
                for (int i = 0; i < PROMPTS.size() * 2; i++) {
                    String prompt = PROMPTS.get(i % PROMPTS.size());
                    replies.add(clients.submit(() -> ServeFixtures.post(server, "/v1/completions",
                            body("mistral-base", prompt), null)));
                }
                for (int i = 0; i < replies.size(); i++) {
                    ServeFixtures.Reply r = replies.get(i).get(120, TimeUnit.SECONDS);
                    assertEquals(200, r.status(), r.text());
                    assertEquals(perRow.get(i % PROMPTS.size()), r.completion(), "prompt " + (i % PROMPTS.size())
                            + " under load");
                }
            } finally {
                clients.shutdownNow();
            }
        }
    }

    private static ServeConfig config(Path base, boolean batchedDecode) {
        return ServeConfig.builder(base).port(0).batchedDecode(batchedDecode).maxBatch(8).workers(1).build();
    }

    /** The bundled base's files with a Mistral {@code config.json}: same weights, every layer windowed. */
    private static Path windowed(Path dir, int window) throws IOException {
        Files.createDirectories(dir);
        try (var files = Files.list(ServeFixtures.BASE)) {
            for (Path f : files.toList()) {
                Files.copy(f, dir.resolve(f.getFileName()));
            }
        }
        ObjectNode config = (ObjectNode) ServeFixtures.JSON.readTree(dir.resolve("config.json").toFile());
        config.put("model_type", "mistral").put("sliding_window", window);
        config.putArray("architectures").add("MistralForCausalLM");
        Files.writeString(dir.resolve("config.json"), config.toPrettyString());
        return dir;
    }

    private static List<String> alone(PeftServer server, String model) {
        List<String> out = new ArrayList<>();
        for (String prompt : PROMPTS) {
            ServeFixtures.Reply r = ServeFixtures.post(server, "/v1/completions", body(model, prompt), null);
            assertEquals(200, r.status(), r.text());
            out.add(r.completion());
        }
        return out;
    }

    private static String body(String model, String prompt) {
        return ServeFixtures.JSON.createObjectNode().put("model", model).put("prompt", prompt).put("max_tokens", 16)
                .put("temperature", 0).put("ignore_eos", true).toString();
    }
}
