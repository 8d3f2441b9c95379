package io.github.peft4j.serve;

import ai.djl.ndarray.NDManager;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.fingerprint.BaseModelFingerprint;
import io.github.peft4j.models.HfModels;
import io.github.peft4j.models.PretrainedModel;
import io.github.peft4j.models.tokenizer.HfTokenizer;
import io.github.peft4j.serve.engine.AdapterCache;
import io.github.peft4j.serve.engine.Scheduler;
import io.github.peft4j.serve.http.OpenAiRoutes;
import io.github.peft4j.serve.http.Services;
import io.javalin.Javalin;

/**
 * The multi-tenant server: one base model in memory, many tenants' adapter versions on top,
 * OpenAI's HTTP API (as vLLM serves it) on Javalin. {@link #start} loads the base, starts the
 * scheduler (continuous batching across adapters) and listens; {@link #close} stops both.
 *
 * <pre>{@code
 * ServeConfig config = ServeConfig.builder(Path.of("assets/base-model"))
 *         .adapterRoot(Path.of("runs/tenants")).port(0).build();
 * try (PeftServer server = PeftServer.start(config)) {
 *     System.out.println("listening on " + server.baseUrl());   // http://127.0.0.1:PORT
 * }
 * }</pre>
 */
public final class PeftServer implements AutoCloseable {

    private final NDManager manager;
    private final PretrainedModel base;
    private final PeftModel model;
    private final AdapterCache cache;
    private final Scheduler scheduler;
    private final RequestLog log;
    private final Services services;
    private final Javalin http;

    private PeftServer(ServeConfig config) {
        manager = NDManager.newBaseManager();
        try {
            base = HfModels.load(config.baseModel(), manager);
            if (!base.config().isCausalLm()) {
                throw new PeftConfigException("model " + config.baseModel() + " is a " + base.config().modelType()
                        + " model without a language-model head; serving needs a causal LM");
            }
            HfTokenizer tokenizer = base.tokenizer().orElseThrow(() -> new PeftConfigException(
                    "model " + config.baseModel() + " has no tokenizer.json; serving needs it"));
            model = PeftModel.wrap(base.block());
            cache = new AdapterCache(model, config.maxLoadedAdapters(), config.maxAdapterBytes(),
                    config.pinned());
            int contextLimit = base.causalLm().maxPositionEmbeddings();
            scheduler = new Scheduler(model, tokenizer, cache, config.maxBatch(), config.queueCapacity(),
                    config.prefillTokenBudget(), config.workers(), contextLimit, config.policies(), config.batchedDecode());
            log = config.requestLog() == null ? null : RequestLog.open(config.requestLog(), config.logText());
            ModelResolver resolver = new ModelResolver(config, BaseModelFingerprint.of(config.baseModel()).value());
            services = new Services(config, resolver, scheduler, tokenizer, contextLimit, new ServeMetrics(scheduler), log);
            http = OpenAiRoutes.create(services).start(config.host(), config.port());
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * @param config the configuration
     * @return the running server
     */
    public static PeftServer start(ServeConfig config) {
        return new PeftServer(config);
    }

    /** @return the port it listens on */
    public int port() {
        return http.port();
    }

    /** @return {@code http://host:port} */
    public String baseUrl() {
        return "http://" + services.config().host() + ":" + port();
    }

    /** @return the scheduler (queue, batch, resident adapters) */
    public Scheduler scheduler() {
        return scheduler;
    }

    /** @return the resolver of {@code model} names */
    public ModelResolver resolver() {
        return services.resolver();
    }

    /** Stops listening, ends the scheduler and frees the model. */
    @Override
    public void close() {
        http.stop();
        scheduler.close();
        cache.close();
        if (log != null) {
            log.close();
        }
        model.close();
        base.close();
        manager.close();
    }
}
