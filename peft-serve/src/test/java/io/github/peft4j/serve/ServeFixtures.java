package io.github.peft4j.serve;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.peft4j.core.PeftConfig;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.lora.LoraConfig;
import io.github.peft4j.models.HfModels;
import io.github.peft4j.models.PretrainedModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** The bundled base model, tenants' adapters made on it, and a real HTTP client for the server tests. */
final class ServeFixtures {

    static final Path BASE = Path.of("../assets/base-model");
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private ServeFixtures() {}

    /** LoRA adapters with random B (as if trained), one per name, in {@code root/<name>}. */
    static void loraAdapters(Path root, List<String> names, long firstSeed) {
        try (NDManager m = NDManager.newBaseManager(); PretrainedModel base = HfModels.load(BASE, m)) {
            long seed = firstSeed;
            for (String name : names) {
                save(base, root.resolve(name), LoraConfig.builder().r(2).loraAlpha(16).targetModules("q_proj", "v_proj")
                        .initLoraWeights(false).build(), seed++, true);
            }
        }
    }

    static void save(Path dir, PeftConfig config, long seed) {
        try (NDManager m = NDManager.newBaseManager(); PretrainedModel base = HfModels.load(BASE, m)) {
            save(base, dir, config, seed, false);   // the base is thrown away: nothing to unload
        }
    }

    private static void save(PretrainedModel base, Path dir, PeftConfig config, long seed, boolean unload) {
        Engine.getInstance().setRandomSeed((int) seed);
        try (PeftModel tenant = PeftModel.create(base.block(), config)) {
            tenant.save(dir);
            if (unload) {
                tenant.unload();   // the base serves the next adapter
            }
        }
    }

    record Reply(int status, JsonNode body, String text, HttpResponse<String> raw) {
        String version() {
            return raw.headers().firstValue("X-Peft4j-Version").orElse(null);
        }

        String completion() {
            return body.path("choices").path(0).path("text").asText();
        }
    }

    static Reply post(PeftServer server, String path, String body, String key) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.baseUrl() + path))
                .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        return send(b.build());
    }

    static Reply get(PeftServer server, String path, String key) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.baseUrl() + path)).timeout(Duration.ofSeconds(30));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        return send(b.GET().build());
    }

    static Reply send(HttpRequest request) {
        try {
            HttpResponse<String> r = CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
            JsonNode body = null;
            try {
                body = JSON.readTree(r.body());
            } catch (IOException e) {
                // not JSON (plain text or metrics)
            }
            return new Reply(r.statusCode(), body, r.body(), r);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A greedy completion request body. */
    static String greedy(String model, String prompt, int maxTokens) {
        return JSON.createObjectNode().put("model", model).put("prompt", prompt).put("max_tokens", maxTokens)
                .put("temperature", 0).toString();
    }
}
