package io.github.peft4j.serve;

import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.registry.AdapterRegistry;
import io.github.peft4j.serve.policy.PolicyHook;
import io.github.peft4j.models.chat.JinjaChatTemplate;
import io.github.peft4j.train.data.ChatTemplate;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Everything a {@link PeftServer} is started with. vLLM's options where they exist:
 * {@code maxBatch} is {@code max_num_seqs}, {@code maxLoadedAdapters} is {@code max_loras} (here an
 * LRU, also bounded by bytes, as {@code max_cpu_loras}), adapters are named by registry references
 * or by directories under the configured roots.
 *
 * <pre>{@code
 * ServeConfig config = ServeConfig.builder(Path.of("assets/base-model"))
 *         .adapterRoot(Path.of("/srv/adapters"))          // /srv/adapters/<name>/adapter_config.json
 *         .registry(AdapterRegistry.open(Path.of("runs/registry")))
 *         .apiKey("sk-acme", new Tenant("acme", Set.of("acme-support"), false, false))
 *         .split("support", Map.of("support@production", 90, "support@canary", 10))
 *         .port(8000).build();
 * }</pre>
 *
 * @param baseModel the base model's directory (HF checkpoint with {@code tokenizer.json})
 * @param servedModelName the {@code model} name of the base alone
 * @param adapterRoots the only directories adapters may be loaded from (their sub-directories are
 *     adapters named by their directory name)
 * @param registry the adapter registry, or {@code null}
 * @param registryCache where registry versions are exported for loading
 * @param maxBatch sequences decoded together (continuous batching slots)
 * @param queueCapacity requests waiting beyond the batch; more are refused with 429
 * @param prefillTokenBudget prompt tokens run per scheduler step (vLLM's {@code max_num_batched_tokens});
 *     a longer prompt runs in chunks of this size over several steps (chunked prefill), so long
 *     prompts do not stall the sequences being decoded
 * @param workers threads computing the rows of a step
 * @param requestTimeout a request still running after this is ended with 504
 * @param maxLoadedAdapters adapters resident at once (LRU)
 * @param maxAdapterBytes bytes of adapter tensors resident at once (LRU)
 * @param pinned adapter names never evicted
 * @param apiKeys API key to tenant; empty means no authentication (every request is
 *     {@link Tenant#ANONYMOUS})
 * @param requestLog the JSONL request log, or {@code null}
 * @param logText whether the log holds prompt and completion text (PII-anonymised)
 * @param policies hooks run around every generation, in order
 * @param splits A/B splits: a {@code model} name to the references it is served by, with weights
 * @param splitSeed the seed of the split's choices (a fixed seed gives reproducible traffic)
 * @param chatTemplate how chat messages become a prompt; {@code null} for the base model's own chat
 *     template (its {@code tokenizer_config.json}), else {@link #DEFAULT_CHAT}
 * @param host the interface to listen on
 * @param port the port, 0 for a free one
 * @param batchedDecode whether decode steps run their rows in one forward where the start-up probe
 *     shows each row's floats equal the row alone (default); false decodes every row alone
 */
public record ServeConfig(Path baseModel, String servedModelName, List<Path> adapterRoots, AdapterRegistry registry,
        Path registryCache, int maxBatch, int queueCapacity, int prefillTokenBudget, int workers,
        Duration requestTimeout, int maxLoadedAdapters, long maxAdapterBytes, Set<String> pinned,
        Map<String, Tenant> apiKeys, Path requestLog, boolean logText, List<PolicyHook> policies,
        Map<String, Map<String, Integer>> splits, long splitSeed, ChatPromptFormat chatTemplate, String host, int port,
        boolean batchedDecode) {

    /** The chat format of the bundled model (and of {@code peft4j generate}): {@code <|role|>\n...<|endoftext|>\n}. */
    public static final ChatTemplate DEFAULT_CHAT = ChatTemplate.builder()
            .messageTemplate("<|{role}|>\n{content}<|endoftext|>\n").build();

    /** Checks the bounds. */
    public ServeConfig {
        positive("max_batch", maxBatch);
        positive("queue_capacity", queueCapacity);
        positive("prefill_token_budget", prefillTokenBudget);
        positive("workers", workers);
        positive("max_loaded_adapters", maxLoadedAdapters);
        if (maxAdapterBytes < 1) {
            throw new PeftConfigException("max_adapter_bytes must be >= 1, got " + maxAdapterBytes);
        }
        splits.forEach((name, weights) -> {
            if (weights.isEmpty() || weights.values().stream().anyMatch(w -> w < 0)
                    || weights.values().stream().mapToInt(Integer::intValue).sum() == 0) {
                throw new PeftConfigException("split '" + name + "' needs non-negative weights with a positive sum, got "
                        + weights);
            }
        });
        adapterRoots = adapterRoots.stream().map(p -> p.toAbsolutePath().normalize()).toList();
        pinned = Set.copyOf(pinned);
        apiKeys = Map.copyOf(apiKeys);
        policies = List.copyOf(policies);
        splits = Map.copyOf(splits);
    }

    private static void positive(String name, int value) {
        if (value < 1) {
            throw new PeftConfigException(name + " must be >= 1, got " + value);
        }
    }

    /** @param baseModel the base model's directory @return a builder with the defaults */
    public static Builder builder(Path baseModel) {
        return new Builder(baseModel);
    }

    /** Builder of {@link ServeConfig}; see the record's components for each option. */
    public static final class Builder {
        private final Path baseModel;
        private String servedModelName;
        private final List<Path> adapterRoots = new ArrayList<>();
        private AdapterRegistry registry;
        private Path registryCache;
        private int maxBatch = 16;
        private int queueCapacity = 256;
        private int prefillTokenBudget = 512;
        private int workers = 1;
        private Duration requestTimeout = Duration.ofSeconds(120);
        private int maxLoadedAdapters = 16;
        private long maxAdapterBytes = 1L << 30;
        private final Set<String> pinned = new LinkedHashSet<>();
        private final Map<String, Tenant> apiKeys = new LinkedHashMap<>();
        private Path requestLog;
        private boolean logText;
        private final List<PolicyHook> policies = new ArrayList<>();
        private final Map<String, Map<String, Integer>> splits = new LinkedHashMap<>();
        private long splitSeed = System.nanoTime();
        private ChatPromptFormat chatTemplate;
        private String host = "127.0.0.1";
        private int port = 8000;
        private boolean batchedDecode = true;

        private Builder(Path baseModel) {
            this.baseModel = baseModel;
        }

        /** @param v the base model's {@code model} name (default: its directory name) @return this */
        public Builder servedModelName(String v) {
            servedModelName = v;
            return this;
        }

        /** @param v a directory whose sub-directories are adapters @return this */
        public Builder adapterRoot(Path v) {
            adapterRoots.add(v);
            return this;
        }

        /** @param v the registry @param cache where its versions are exported @return this */
        public Builder registry(AdapterRegistry v, Path cache) {
            registry = v;
            registryCache = cache;
            return this;
        }

        /** @param v sequences decoded together @return this */
        public Builder maxBatch(int v) {
            maxBatch = v;
            return this;
        }

        /** @param v waiting requests before 429 @return this */
        public Builder queueCapacity(int v) {
            queueCapacity = v;
            return this;
        }

        /** @param v prompt tokens run per step, the chunk size of longer prompts @return this */
        public Builder prefillTokenBudget(int v) {
            prefillTokenBudget = v;
            return this;
        }

        /** @param v threads computing the rows of a step @return this */
        public Builder workers(int v) {
            workers = v;
            return this;
        }

        /** @param v the per-request time limit @return this */
        public Builder requestTimeout(Duration v) {
            requestTimeout = v;
            return this;
        }

        /** @param count adapters resident at once @param bytes their tensor bytes at once @return this */
        public Builder adapterMemory(int count, long bytes) {
            maxLoadedAdapters = count;
            maxAdapterBytes = bytes;
            return this;
        }

        /** @param name an adapter never evicted @return this */
        public Builder pin(String name) {
            pinned.add(name);
            return this;
        }

        /** @param key an API key @param tenant its tenant @return this */
        public Builder apiKey(String key, Tenant tenant) {
            apiKeys.put(key, tenant);
            return this;
        }

        /** @param file the JSONL request log @param withText whether to log (anonymised) texts @return this */
        public Builder requestLog(Path file, boolean withText) {
            requestLog = file;
            logText = withText;
            return this;
        }

        /** @param v a policy hook @return this */
        public Builder policy(PolicyHook v) {
            policies.add(v);
            return this;
        }

        /**
         * @param model the {@code model} name clients send
         * @param weights the references serving it, with their weights ({@code 90}, {@code 10})
         * @return this
         */
        public Builder split(String model, Map<String, Integer> weights) {
            splits.put(model, new LinkedHashMap<>(weights));
            return this;
        }

        /** @param v the split's seed @return this */
        public Builder splitSeed(long v) {
            splitSeed = v;
            return this;
        }

        /** @param v a simple chat template, instead of the model's own @return this */
        public Builder chatTemplate(ChatTemplate v) {
            chatTemplate = ChatPromptFormat.of(v);
            return this;
        }

        /** @param v a Hugging Face chat template, instead of the model's own @return this */
        public Builder chatTemplate(JinjaChatTemplate v) {
            chatTemplate = ChatPromptFormat.of(v);
            return this;
        }

        /** @param v the interface @return this */
        public Builder host(String v) {
            host = v;
            return this;
        }

        /** @param v the port, 0 for a free one @return this */
        public Builder port(int v) {
            port = v;
            return this;
        }

        /** @param v false to decode every row alone (no batched decode steps) @return this */
        public Builder batchedDecode(boolean v) {
            batchedDecode = v;
            return this;
        }

        /** @return the config */
        public ServeConfig build() {
            String name = servedModelName != null ? servedModelName : baseModel.toAbsolutePath().normalize().getFileName().toString();
            return new ServeConfig(baseModel, name, adapterRoots, registry, registryCache, maxBatch, queueCapacity,
                    prefillTokenBudget, workers, requestTimeout, maxLoadedAdapters, maxAdapterBytes, pinned, apiKeys,
                    requestLog, logText, policies, splits, splitSeed, chatTemplate, host, port, batchedDecode);
        }
    }
}
