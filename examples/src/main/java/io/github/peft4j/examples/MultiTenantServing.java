package io.github.peft4j.examples;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.lora.LoraConfig;
import io.github.peft4j.models.HfModels;
import io.github.peft4j.models.PretrainedModel;
import io.github.peft4j.serve.PeftServer;
import io.github.peft4j.serve.ServeConfig;
import io.github.peft4j.serve.Tenant;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * One base model, two tenants' adapters, served over OpenAI's HTTP API by {@link PeftServer}:
 * each tenant's key reaches only its own adapter, concurrent requests of both tenants run in one
 * continuous batch and each gets exactly its single-request text, and a hot swap (a new version of
 * acme's adapter) reaches new requests without a restart. Run from the repository root:
 * {@code DJL_OFFLINE=true OPT_OUT_TRACKING=true mvn -q -pl examples exec:java@multi-tenant}.
 */
public final class MultiTenantServing {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    private MultiTenantServing() {}

    /** @param args [model dir] [work dir for the tenants' adapters] */
    public static void main(String[] args) throws Exception {
        System.setProperty("ai.djl.offline", "true");
        Result r = demo(Path.of(args.length > 0 ? args[0] : "assets/base-model"),
                Path.of(args.length > 1 ? args[1] : "runs/tenants"));
        System.out.printf("acme alone: %s%nglobex alone: %s%nconcurrent equal to alone: %s%n"
                + "acme asking for globex: HTTP %d%nacme after the swap (%s): %s%n", r.acmeAlone(), r.globexAlone(),
                r.concurrent().stream().allMatch(t -> t.equals(r.acmeAlone()) || t.equals(r.globexAlone())),
                r.crossTenantStatus(), r.versionAfterSwap(), r.acmeAfterSwap());
    }

    /** What the demo saw, for its smoke test. */
    record Result(String acmeAlone, String globexAlone, List<String> concurrent, int crossTenantStatus,
            String versionBeforeSwap, String versionAfterSwap, String acmeAfterSwap) {}

    static Result demo(Path baseDir, Path work) throws Exception {
        // Tenants' adapters would come from their training runs (or the registry); here three are made.
        Path root = work.resolve("adapters");
        saveDemoAdapters(baseDir, root);
        ServeConfig config = ServeConfig.builder(baseDir).adapterRoot(root).port(0)
                .apiKey("sk-acme", new Tenant("acme", Set.of("acme"), false, false))
                .apiKey("sk-globex", new Tenant("globex", Set.of("globex"), false, false))
                .apiKey("sk-ops", Tenant.admin("ops"))
                .requestLog(work.resolve("requests.jsonl"), false).build();
        try (PeftServer server = PeftServer.start(config)) {
            String prompt = "Where is my order? It should";
            JsonNode acme = complete(server, "sk-acme", "acme", prompt).join();
            String globexAlone = text(complete(server, "sk-globex", "globex", prompt).join());

            List<CompletableFuture<JsonNode>> both = new ArrayList<>();   // one continuous batch, two adapters
            for (int i = 0; i < 8; i++) {
                both.add(i % 2 == 0 ? complete(server, "sk-acme", "acme", prompt) : complete(server, "sk-globex", "globex", prompt));
            }
            List<String> concurrent = both.stream().map(f -> text(f.join())).toList();

            int crossTenant = post(server, "sk-acme", "/v1/completions", request("globex", prompt)).statusCode();

            // hot swap: acme ships v2; requests in flight finish on v1, new ones get v2
            post(server, "sk-ops", "/v1/load_lora_adapter", JSON.createObjectNode().put("lora_name", "acme")
                    .put("lora_path", root.resolve("acme-v2").toString()).put("load_inplace", true).toString());
            JsonNode swapped = complete(server, "sk-acme", "acme", prompt).join();
            return new Result(text(acme), globexAlone, concurrent, crossTenant, acme.path("system_fingerprint").asText(),
                    swapped.path("system_fingerprint").asText(), text(swapped));
        }
    }

    /** A greedy completion through the HTTP API, as any OpenAI client would send it. */
    static CompletableFuture<JsonNode> complete(PeftServer server, String key, String model, String prompt) {
        return CLIENT.sendAsync(httpPost(server, key, "/v1/completions", request(model, prompt)),
                HttpResponse.BodyHandlers.ofString()).thenApply(r -> {
                    try {
                        return JSON.readTree(r.body());
                    } catch (IOException e) {
                        throw new IllegalStateException(r.body(), e);
                    }
                });
    }

    private static String request(String model, String prompt) {
        return JSON.createObjectNode().put("model", model).put("prompt", prompt).put("max_tokens", 10)
                .put("temperature", 0).toString();
    }

    private static HttpResponse<String> post(PeftServer server, String key, String path, String body) throws Exception {
        return CLIENT.send(httpPost(server, key, path, body), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpRequest httpPost(PeftServer server, String key, String path, String body) {
        return HttpRequest.newBuilder(URI.create(server.baseUrl() + path)).header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    private static String text(JsonNode completion) {
        return completion.path("choices").path(0).path("text").asText();
    }

    /** LoRA adapters with random (non-zero) B, standing in for the tenants' trained adapters. */
    private static void saveDemoAdapters(Path baseDir, Path root) {
        try (NDManager manager = NDManager.newBaseManager(); PretrainedModel base = HfModels.load(baseDir, manager)) {
            int seed = 1;
            for (String name : List.of("acme", "globex", "acme-v2")) {
                Engine.getInstance().setRandomSeed(seed++);
                LoraConfig config = LoraConfig.builder().r(4).loraAlpha(16).targetModules("q_proj", "v_proj")
                        .initLoraWeights(false).build();
                try (PeftModel tenant = PeftModel.create(base.block(), config)) {
                    tenant.save(root.resolve(name));
                    tenant.unload();
                }
            }
        }
    }
}
