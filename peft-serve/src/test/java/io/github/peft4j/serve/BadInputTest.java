package io.github.peft4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.peft4j.prefix.prompttuning.PromptTuningConfig;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 18's bad input: each is a 4xx with OpenAI's error body, and the server keeps serving. */
class BadInputTest {

    @TempDir
    Path tmp;

    @Test
    void refusalsAreOpenAiErrorsAndTheServerKeepsServing() {
        Path root = tmp.resolve("adapters");
        ServeFixtures.loraAdapters(root, java.util.List.of("acme", "globex"), 3);
        ServeFixtures.save(root.resolve("soft"), PromptTuningConfig.builder().numVirtualTokens(4).build(), 5);
        ServeConfig config = ServeConfig.builder(ServeFixtures.BASE).adapterRoot(root).port(0)
                .apiKey("sk-acme", new Tenant("acme", Set.of("acme", "soft"), false, false))
                .apiKey("sk-admin", Tenant.admin("ops")).build();
        try (PeftServer server = PeftServer.start(config)) {
            String ok = ServeFixtures.greedy("acme", "Hello", 3);
            refused(ServeFixtures.post(server, "/v1/completions", "{\"model\": \"acme\", \"prompt\": ", "sk-acme"),
                    400, "invalid_json");
            refused(ServeFixtures.post(server, "/v1/completions", ServeFixtures.greedy("nobody", "Hello", 3), "sk-acme"),
                    403, "model_not_allowed");
            refused(ServeFixtures.post(server, "/v1/completions", ServeFixtures.greedy("acme:7", "Hello", 3), "sk-acme"),
                    404, "model_not_found");
            refused(ServeFixtures.post(server, "/v1/completions", ServeFixtures.greedy("acme", "word ".repeat(600), 3),
                    "sk-acme"), 400, "context_length_exceeded");
            refused(ServeFixtures.post(server, "/v1/completions", ServeFixtures.greedy("acme", "Hello", -5), "sk-acme"),
                    400, "invalid_max_tokens");
            refused(ServeFixtures.post(server, "/v1/completions", ok, "sk-wrong"), 401, "invalid_api_key");
            refused(ServeFixtures.post(server, "/v1/completions", ok, null), 401, "invalid_api_key");
            refused(ServeFixtures.post(server, "/v1/completions", ServeFixtures.greedy("globex", "Hello", 3), "sk-acme"),
                    403, "model_not_allowed");
            refused(ServeFixtures.post(server, "/v1/completions", ServeFixtures.greedy("base-model", "Hello", 3), "sk-acme"),
                    403, "model_not_allowed");
            refused(ServeFixtures.post(server, "/v1/completions", ServeFixtures.greedy("soft", "Hello", 3), "sk-acme"),
                    400, "prompt_method_not_servable");
            refused(ServeFixtures.post(server, "/v1/completions",
                    "{\"model\": \"acme\", \"prompt\": \"Hi\", \"temperature\": -1}", "sk-acme"), 400, "invalid_temperature");
            refused(ServeFixtures.post(server, "/v1/chat/completions", "{\"model\": \"acme\", \"messages\": []}", "sk-acme"),
                    400, "invalid_messages");
            // adapter directories only under the roots, and only for admins
            String traversal = ServeFixtures.JSON.createObjectNode().put("lora_name", "evil")
                    .put("lora_path", root.resolve("..").toString()).toString();
            refused(ServeFixtures.post(server, "/v1/load_lora_adapter", traversal, "sk-admin"), 403, "model_not_allowed");
            refused(ServeFixtures.post(server, "/v1/load_lora_adapter", traversal, "sk-acme"), 403, "model_not_allowed");
            refused(ServeFixtures.get(server, "/v1/nothing", "sk-acme"), 404, "not_found");

            ServeFixtures.Reply served = ServeFixtures.post(server, "/v1/completions", ok, "sk-acme");
            assertEquals(200, served.status(), served.text());
            assertEquals(3, served.body().path("usage").path("completion_tokens").asInt(), served.text());
            ServeFixtures.Reply models = ServeFixtures.get(server, "/v1/models", "sk-acme");
            java.util.List<String> ids = new java.util.ArrayList<>();
            models.body().path("data").forEach(m -> ids.add(m.path("id").asText()));
            assertEquals(java.util.List.of("acme", "soft"), ids);
        }
    }

    private static void refused(ServeFixtures.Reply r, int status, String code) {
        assertEquals(status, r.status(), r.text());
        assertTrue(r.body() != null && r.body().path("error").path("message").isTextual(), r.text());
        assertTrue(r.body().path("error").path("type").isTextual(), r.text());
        assertEquals(code, r.body().path("error").path("code").asText(), r.text());
    }
}
