package io.github.peft4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.peft4j.serve.policy.PiiRedaction;
import io.github.peft4j.serve.policy.PolicyHook;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Streaming, chat, sampling, stop strings, A/B splits, policies, the request log, metrics and 429. */
class OpenAiApiTest {

    @TempDir
    Path tmp;

    @Test
    void theApiBehavesAsVllmsDoes() throws Exception {
        Path root = tmp.resolve("adapters");
        ServeFixtures.loraAdapters(root, List.of("prod", "canary"), 11);
        Path log = tmp.resolve("requests.jsonl");
        PolicyHook shout = new PolicyHook() {
            @Override
            public String afterGeneration(Tenant tenant, String model, String completion) {
                return model.equals("canary") ? "[" + completion + "]" : completion;
            }
        };
        ServeConfig config = ServeConfig.builder(ServeFixtures.BASE).adapterRoot(root).port(0).splitSeed(1)
                .split("ab", Map.of("prod", 90, "canary", 10)).requestLog(log, true).policy(shout).build();
        try (PeftServer server = PeftServer.start(config)) {
            String prompt = "Where is my order? It should have";
            ServeFixtures.Reply plain = ServeFixtures.post(server, "/v1/completions", ServeFixtures.greedy("prod", prompt, 10), null);
            assertEquals("text_completion", plain.body().path("object").asText());
            assertEquals(plain.version(), plain.body().path("system_fingerprint").asText());

            // streaming: the deltas add up to the same text, then [DONE]
            String streamBody = ServeFixtures.JSON.createObjectNode().put("model", "prod").put("prompt", prompt)
                    .put("max_tokens", 10).put("temperature", 0).put("stream", true).toString();
            HttpResponse<String> sse = ServeFixtures.CLIENT.send(HttpRequest.newBuilder(URI.create(server.baseUrl()
                    + "/v1/completions")).POST(HttpRequest.BodyPublishers.ofString(streamBody)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertTrue(sse.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
            StringBuilder streamed = new StringBuilder();
            List<String> events = sse.body().lines().filter(l -> l.startsWith("data: ")).map(l -> l.substring(6)).toList();
            assertEquals("[DONE]", events.get(events.size() - 1));
            for (String e : events.subList(0, events.size() - 1)) {
                streamed.append(ServeFixtures.JSON.readTree(e).path("choices").path(0).path("text").asText());
            }
            assertEquals(plain.completion(), streamed.toString());

            // chat: the template's prompt, an assistant message
            ServeFixtures.Reply chat = ServeFixtures.post(server, "/v1/chat/completions", "{\"model\": \"prod\", \"max_tokens\": 6,"
                    + " \"temperature\": 0, \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}", null);
            assertEquals(200, chat.status(), chat.text());
            assertEquals("assistant", chat.body().path("choices").path(0).path("message").path("role").asText());
            assertTrue(chat.body().path("usage").path("prompt_tokens").asInt() > 3);

            // sampling: a seed gives the same text; another seed (very likely) another
            String s7 = sample(server, 7);
            assertEquals(s7, sample(server, 7));
            assertNotEquals(s7, sample(server, 8) + sample(server, 9) + sample(server, 10));

            // stop strings cut the text before them
            String cut = plain.completion().substring(0, Math.max(1, plain.completion().length() / 2));
            String stopWord = plain.completion().substring(cut.length(), cut.length() + 1);
            ServeFixtures.Reply stopped = ServeFixtures.post(server, "/v1/completions", ServeFixtures.JSON.createObjectNode()
                    .put("model", "prod").put("prompt", prompt).put("max_tokens", 10).put("temperature", 0)
                    .put("stop", stopWord).toString(), null);
            assertEquals("stop", stopped.body().path("choices").path(0).path("finish_reason").asText());
            assertEquals(plain.completion().substring(0, plain.completion().indexOf(stopWord)), stopped.completion());

            // A/B split: 90/10 by weight, the version served recorded per response; the canary's policy output
            Map<String, Integer> served = new HashMap<>();
            for (int i = 0; i < 60; i++) {
                ServeFixtures.Reply r = ServeFixtures.post(server, "/v1/completions", ServeFixtures.greedy("ab", prompt, 1), null);
                served.merge(r.version().substring(0, r.version().indexOf('@')), 1, Integer::sum);
            }
            assertTrue(served.getOrDefault("dir:canary", 0) >= 1 && served.get("dir:prod") >= 45, served.toString());
            ServeFixtures.Reply canary = ServeFixtures.post(server, "/v1/completions", ServeFixtures.greedy("canary", prompt, 3), null);
            assertTrue(canary.completion().startsWith("[") && canary.completion().endsWith("]"), canary.completion());

            // the request log: one line per request with the exact version and timings
            List<String> lines = Files.readAllLines(log);
            JsonNode first = ServeFixtures.JSON.readTree(lines.get(0));
            assertEquals(plain.version(), first.path("version").asText());
            assertEquals(10, first.path("completion_tokens").asInt());
            assertTrue(first.path("ttft_ms").asDouble() > 0 && first.path("latency_ms").asDouble() >= first.path("ttft_ms").asDouble());
            assertEquals("length", first.path("finish_reason").asText());
            assertEquals("anonymous", first.path("tenant").asText());

            // metrics: per-adapter counts and latency histograms
            String metrics = ServeFixtures.get(server, "/metrics", null).text();
            assertTrue(metrics.contains("peft4j_requests_total{adapter=\"prod\",outcome=\"ok\"}"), metrics);
            assertTrue(metrics.contains("peft4j_request_latency_seconds_bucket{adapter=\"prod\""), metrics);
            assertEquals(200, ServeFixtures.get(server, "/health", null).status());
        }
        assertEquals("mail <EMAIL> now", PiiRedaction.defaults().redact("mail alice@example.com now"));
    }

    @Test
    void aFullQueueIsA429WithRetryAfterAndAnUnreadStreamIsCancelled() throws Exception {
        ServeConfig config = ServeConfig.builder(ServeFixtures.BASE).port(0).maxBatch(1).queueCapacity(1).build();
        try (PeftServer server = PeftServer.start(config)) {
            String longRun = ServeFixtures.greedy("base-model", "Tell me", 150);
            List<CompletableFuture<HttpResponse<String>>> replies = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                replies.add(ServeFixtures.CLIENT.sendAsync(HttpRequest.newBuilder(URI.create(server.baseUrl()
                        + "/v1/completions")).POST(HttpRequest.BodyPublishers.ofString(longRun)).build(),
                        HttpResponse.BodyHandlers.ofString()));
            }
            int ok = 0;
            int busy = 0;
            for (CompletableFuture<HttpResponse<String>> f : replies) {
                HttpResponse<String> r = f.get();
                if (r.statusCode() == 429) {
                    busy++;
                    assertEquals("1", r.headers().firstValue("Retry-After").orElse(null));
                    assertEquals("queue_full", ServeFixtures.JSON.readTree(r.body()).path("error").path("code").asText());
                } else {
                    assertEquals(200, r.statusCode(), r.body());
                    ok++;
                }
            }
            assertTrue(ok >= 2 && busy >= 1, ok + " served, " + busy + " refused");

            // a streaming client that goes away: its request is cancelled and its slot freed
            String stream = ServeFixtures.JSON.createObjectNode().put("model", "base-model").put("prompt", "Tell me")
                    .put("max_tokens", 400).put("temperature", 0).put("stream", true).toString();
            HttpResponse<java.io.InputStream> open = ServeFixtures.CLIENT.send(HttpRequest.newBuilder(URI.create(
                    server.baseUrl() + "/v1/completions")).POST(HttpRequest.BodyPublishers.ofString(stream)).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            open.body().read(new byte[16]);
            open.body().close();
            long until = System.currentTimeMillis() + 10_000;
            while (server.scheduler().running() > 0 && System.currentTimeMillis() < until) {
                Thread.sleep(20);
            }
            assertEquals(0, server.scheduler().running(), "the abandoned stream still runs");
            assertEquals(200, ServeFixtures.post(server, "/v1/completions", ServeFixtures.greedy("base-model", "Hi", 2), null).status());
        }
    }

    private static String sample(PeftServer server, long seed) {
        return ServeFixtures.post(server, "/v1/completions", ServeFixtures.JSON.createObjectNode().put("model", "prod")
                .put("prompt", "Hello").put("max_tokens", 8).put("temperature", 1.0).put("top_p", 0.95).put("top_k", 50)
                .put("seed", seed).toString(), null).completion();
    }
}
