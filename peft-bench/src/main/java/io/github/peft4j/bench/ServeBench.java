package io.github.peft4j.bench;

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
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Serving throughput of mixed-adapter traffic (issue 18): the same requests, at the same batch size
 * (concurrency = slots), sent to a {@link PeftServer} over HTTP as (1) mixed traffic round-robin over
 * 16 LoRA adapters, (2) all on one adapter, (3) the base alone; every request generates exactly
 * {@code max_tokens} ({@code ignore_eos}), so the scenarios do the same work. Prints one JSON line with tokens/s,
 * p50/p99 latency per scenario and the ratios mixed/base and single/base: at the top level for a
 * server with batched decode steps (its default, when the start-up probe passes), under
 * {@code per_row} for one that decodes each row alone ({@code --decode both|batched|per-row}).
 *
 * <pre>{@code
 * java -cp ... io.github.peft4j.bench.ServeBench --requests 128 --batch 16 --max-tokens 32 --workers 2
 * }</pre>
 */
public final class ServeBench {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ServeBench() {}

    /** @param args {@code --model DIR --requests N --batch B --max-tokens T --workers W --adapters A --decode D} */
    public static void main(String[] args) throws Exception {
        Map<String, Object> r = run(args);
        System.out.println(JSON.writeValueAsString(r));
    }

    /**
     * @param args the options
     * @return the results, by scenario
     */
    public static Map<String, Object> run(String... args) throws Exception {
        Map<String, String> o = new LinkedHashMap<>(Map.of("--model", "assets/base-model", "--requests", "128",
                "--batch", "16", "--max-tokens", "32", "--workers", "1", "--adapters", "16"));
        for (int i = 0; i + 1 < args.length; i += 2) {
            o.put(args[i], args[i + 1]);
        }
        Path base = Path.of(o.get("--model"));
        int requests = Integer.parseInt(o.get("--requests"));
        int batch = Integer.parseInt(o.get("--batch"));
        int maxTokens = Integer.parseInt(o.get("--max-tokens"));
        int adapters = Integer.parseInt(o.get("--adapters"));
        Path root = Files.createTempDirectory("serve-bench");
        List<String> names = saveAdapters(base, root, adapters);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("requests", requests);
        out.put("batch", batch);
        out.put("max_tokens", maxTokens);
        out.put("workers", Integer.parseInt(o.get("--workers")));
        out.put("adapters", adapters);
        out.put("threads_per_forward", System.getProperty("ai.djl.pytorch.num_threads", "engine default"));
        String decode = o.getOrDefault("--decode", "both");
        if (!decode.equals("batched")) {
            out.put("per_row", scenarios(base, root, names, o, false));
        }
        if (!decode.equals("per-row")) {
            out.putAll(scenarios(base, root, names, o, true));
        }
        return out;
    }

    /** The three scenarios on a server whose decode steps batch rows (when its probe passes) or not. */
    private static Map<String, Object> scenarios(Path base, Path root, List<String> names, Map<String, String> o,
            boolean batchedDecode) throws Exception {
        int requests = Integer.parseInt(o.get("--requests"));
        int batch = Integer.parseInt(o.get("--batch"));
        int maxTokens = Integer.parseInt(o.get("--max-tokens"));
        ServeConfig config = ServeConfig.builder(base).adapterRoot(root).port(0).maxBatch(batch)
                .workers(Integer.parseInt(o.get("--workers"))).adapterMemory(names.size(), 1L << 30)
                .batchedDecode(batchedDecode).build();
        Map<String, Object> out = new LinkedHashMap<>();
        try (PeftServer server = PeftServer.start(config)) {
            out.put("batched_decode", server.scheduler().batchedDecode());
            scenario(server, List.of(names.get(0)), 2 * batch, batch, maxTokens);   // warm-up: JIT, allocator, loads
            scenario(server, names, 2 * batch, batch, maxTokens);
            Map<String, Object> mixed = scenario(server, names, requests, batch, maxTokens);
            Map<String, Object> single = scenario(server, List.of(names.get(0)), requests, batch, maxTokens);
            Map<String, Object> alone = scenario(server, List.of("base-model"), requests, batch, maxTokens);
            out.put("mixed", mixed);
            out.put("single_adapter", single);
            out.put("base", alone);
            out.put("mixed_over_base", (double) mixed.get("tokens_per_s") / (double) alone.get("tokens_per_s"));
            out.put("single_over_base", (double) single.get("tokens_per_s") / (double) alone.get("tokens_per_s"));
        }
        return out;
    }

    private static Map<String, Object> scenario(PeftServer server, List<String> models, int requests, int concurrency,
            int maxTokens) throws Exception {
        HttpClient client = HttpClient.newHttpClient();
        ExecutorService pool = Executors.newFixedThreadPool(concurrency);
        try {
            long t0 = System.nanoTime();
            List<Future<double[]>> replies = new ArrayList<>();
            for (int i = 0; i < requests; i++) {
                String body = JSON.createObjectNode().put("model", models.get(i % models.size()))
                        .put("prompt", "Question " + (i % 7) + ": where is my order? Answer:").put("max_tokens", maxTokens)
                        .put("temperature", 0).put("ignore_eos", true).toString();
                replies.add(pool.submit(() -> {
                    long s = System.nanoTime();
                    HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(server.baseUrl()
                            + "/v1/completions")).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                            HttpResponse.BodyHandlers.ofString());
                    if (r.statusCode() != 200) {
                        throw new IllegalStateException("HTTP " + r.statusCode() + ": " + r.body());
                    }
                    JsonNode j = JSON.readTree(r.body());
                    return new double[] {(System.nanoTime() - s) / 1e6, j.path("usage").path("completion_tokens").asInt()};
                }));
            }
            double[] latency = new double[requests];
            long tokens = 0;
            for (int i = 0; i < requests; i++) {
                double[] r = replies.get(i).get(10, TimeUnit.MINUTES);
                latency[i] = r[0];
                tokens += (long) r[1];
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            Arrays.sort(latency);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("tokens", tokens);
            m.put("seconds", seconds);
            m.put("tokens_per_s", tokens / seconds);
            m.put("p50_ms", latency[(int) Math.floor(0.50 * (requests - 1))]);
            m.put("p99_ms", latency[(int) Math.floor(0.99 * (requests - 1))]);
            return m;
        } finally {
            pool.shutdownNow();
        }
    }

    private static List<String> saveAdapters(Path baseDir, Path root, int count) {
        List<String> names = new ArrayList<>();
        try (NDManager m = NDManager.newBaseManager(); PretrainedModel base = HfModels.load(baseDir, m)) {
            for (int i = 0; i < count; i++) {
                Engine.getInstance().setRandomSeed(100 + i);
                try (PeftModel tenant = PeftModel.create(base.block(), LoraConfig.builder().r(8).loraAlpha(16)
                        .targetModules("q_proj", "k_proj", "v_proj", "o_proj").initLoraWeights(false).build())) {
                    tenant.save(root.resolve("tenant" + i));
                    tenant.unload();
                }
                names.add("tenant" + i);
            }
        }
        return names;
    }
}
