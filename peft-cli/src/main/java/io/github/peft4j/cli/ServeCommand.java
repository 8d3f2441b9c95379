package io.github.peft4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.peft4j.registry.AdapterRegistry;
import io.github.peft4j.serve.PeftServer;
import io.github.peft4j.serve.ServeConfig;
import io.github.peft4j.serve.Tenant;
import io.github.peft4j.serve.policy.PiiRedaction;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Serves the base model and tenants' adapters over OpenAI's HTTP API (see docs/serving.md).
 *
 * <pre>{@code
 * peft4j serve                                  # bundled base + the registry at runs/registry, port 8000
 * peft4j serve --adapter-root /srv/adapters --api-keys keys.json --split support=support@production:90,support@canary:10
 * }</pre>
 */
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Serve the base model and adapters over an OpenAI-compatible HTTP API.")
final class ServeCommand implements Callable<Integer> {

    @Option(names = "--model", description = "base model directory (default: ${DEFAULT-VALUE})")
    Path model = BaseModels.BUNDLED;

    @Option(names = "--host", description = "interface to listen on (default: ${DEFAULT-VALUE})")
    String host = "127.0.0.1";

    @Option(names = "--port", description = "port, 0 for a free one (default: ${DEFAULT-VALUE})")
    int port = 8000;

    @Option(names = "--adapter-root", paramLabel = "DIR", description = "a directory of adapters (<DIR>/<name>/); repeatable")
    List<Path> adapterRoots = new ArrayList<>();

    @Option(names = "--registry", paramLabel = "DIR|JDBC_URL", defaultValue = "runs/registry",
            description = "adapter registry, used when it exists (default: ${DEFAULT-VALUE})")
    String registry;

    @Option(names = "--registry-blobs", paramLabel = "DIR", description = "the registry's blob directory (PostgreSQL)")
    Path registryBlobs;

    @Option(names = "--registry-cache", paramLabel = "DIR",
            description = "where registry versions are exported for loading (default: ${DEFAULT-VALUE})")
    Path registryCache = Path.of("runs/serve/registry-cache");

    @Option(names = "--max-batch", description = "sequences decoded together (default: ${DEFAULT-VALUE})")
    int maxBatch = 16;

    @Option(names = "--queue", description = "waiting requests before 429 (default: ${DEFAULT-VALUE})")
    int queue = 256;

    @Option(names = "--workers", description = "threads computing a step's rows (default: ${DEFAULT-VALUE})")
    int workers = 1;

    @Option(names = "--per-row-decode", description = "decode every row alone (no batched decode steps)")
    boolean perRowDecode;

    @Option(names = "--threads", description = "engine threads per forward (default: the launcher's, else the engine's)")
    int threads;

    @Option(names = "--max-loras", description = "adapter versions resident at once (default: ${DEFAULT-VALUE})")
    int maxLoras = 16;

    @Option(names = "--max-lora-bytes", description = "adapter bytes resident at once (default: ${DEFAULT-VALUE})")
    long maxLoraBytes = 1L << 30;

    @Option(names = "--pin", paramLabel = "NAME", description = "an adapter never evicted; repeatable")
    List<String> pinned = new ArrayList<>();

    @Option(names = "--timeout-seconds", description = "per-request time limit (default: ${DEFAULT-VALUE})")
    int timeoutSeconds = 120;

    @Option(names = "--api-keys", paramLabel = "FILE",
            description = "JSON {\"<key>\": {\"tenant\": NAME, \"adapters\": [...], \"base\": bool, \"admin\": bool}}")
    Path apiKeys;

    @Option(names = "--split", paramLabel = "MODEL=REF:W,REF:W", description = "A/B split of a model name; repeatable")
    List<String> splits = new ArrayList<>();

    @Option(names = "--request-log", description = "JSONL request log (default: ${DEFAULT-VALUE})")
    Path requestLog = Path.of("runs/serve/requests.jsonl");

    @Option(names = "--log-text", description = "log prompts and completions (PII-anonymised)")
    boolean logText;

    @Option(names = "--redact-pii", description = "replace personal data in outputs with placeholders")
    boolean redactPii;

    @Option(names = "--stop-after-seconds", hidden = true, description = "stop by itself (tests and demos)")
    int stopAfterSeconds;

    @Override
    public Integer call() throws Exception {
        Offline.threads(threads);
        Inputs.requireDir(model, "model directory");
        ServeConfig.Builder b = ServeConfig.builder(model).host(host).port(port).maxBatch(maxBatch).queueCapacity(queue)
                .workers(workers).batchedDecode(!perRowDecode).adapterMemory(maxLoras, maxLoraBytes).requestTimeout(Duration.ofSeconds(timeoutSeconds))
                .requestLog(requestLog, logText);
        adapterRoots.forEach(b::adapterRoot);
        pinned.forEach(b::pin);
        boolean jdbc = registry.startsWith("jdbc:");
        if (jdbc || Files.isRegularFile(Path.of(registry).resolve(AdapterRegistry.DATABASE_FILE))) {
            b.registry(jdbc ? AdapterRegistry.open(registry, registryBlobs) : AdapterRegistry.open(Path.of(registry)),
                    registryCache);
        }
        if (apiKeys != null) {
            readKeys(apiKeys).forEach(b::apiKey);
        }
        for (String split : splits) {
            parseSplit(split, b);
        }
        if (redactPii) {
            b.policy(PiiRedaction.defaults());
        }
        CountDownLatch stop = new CountDownLatch(1);
        try (PeftServer server = PeftServer.start(b.build())) {
            Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
            System.out.println("peft4j serve: listening on " + server.baseUrl() + " (models: "
                    + String.join(", ", server.resolver().modelNames()) + ")");
            System.out.flush();
            if (stopAfterSeconds > 0) {
                stop.await(stopAfterSeconds, TimeUnit.SECONDS);
            } else {
                stop.await();
            }
        }
        return 0;
    }

    private static void parseSplit(String split, ServeConfig.Builder b) {
        int eq = split.indexOf('=');
        if (eq < 1) {
            throw new UserError("--split " + split + ": expected MODEL=REF:WEIGHT,REF:WEIGHT");
        }
        Map<String, Integer> weights = new LinkedHashMap<>();
        for (String part : split.substring(eq + 1).split(",")) {
            int colon = part.lastIndexOf(':');
            try {
                weights.put(part.substring(0, colon), Integer.parseInt(part.substring(colon + 1)));
            } catch (RuntimeException e) {
                throw new UserError("--split " + split + ": '" + part + "' is not REF:WEIGHT");
            }
        }
        b.split(split.substring(0, eq), weights);
    }

    private static Map<String, Tenant> readKeys(Path file) {
        Inputs.requireFile(file, "API key file");
        try {
            JsonNode root = new ObjectMapper().readTree(file.toFile());
            Map<String, Tenant> out = new LinkedHashMap<>();
            root.fields().forEachRemaining(e -> {
                JsonNode t = e.getValue();
                List<String> adapters = new ArrayList<>();
                t.path("adapters").forEach(a -> adapters.add(a.asText()));
                out.put(e.getKey(), new Tenant(t.path("tenant").asText(e.getKey()), Set.copyOf(adapters),
                        t.path("base").asBoolean(false), t.path("admin").asBoolean(false)));
            });
            return out;
        } catch (IOException e) {
            throw new UserError("API key file " + file + " is not JSON: " + e.getMessage());
        }
    }
}
