package io.github.peft4j.serve.http;

import io.github.peft4j.serve.ApiException;
import io.javalin.Javalin;
import io.javalin.http.Context;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The routes, with vLLM's paths: {@code /v1/completions}, {@code /v1/chat/completions},
 * {@code /v1/models}, {@code /v1/load_lora_adapter}, {@code /v1/unload_lora_adapter},
 * {@code /health}, {@code /metrics}. Every refusal is OpenAI's error body with its status.
 *
 * <pre>{@code
 * Javalin app = OpenAiRoutes.create(services).start("127.0.0.1", 0);
 * }</pre>
 */
public final class OpenAiRoutes {

    private static final Logger LOG = LoggerFactory.getLogger(OpenAiRoutes.class);

    private OpenAiRoutes() {}

    /** @param s the server's parts @return the (not yet started) app */
    public static Javalin create(Services s) {
        CompletionsEndpoint completions = new CompletionsEndpoint(s, false);
        CompletionsEndpoint chat = new CompletionsEndpoint(s, true);
        AdminEndpoints admin = new AdminEndpoints(s);
        return Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.http.maxRequestSize = 4L << 20;
            config.routes.post("/v1/completions", completions::handle);
            config.routes.post("/v1/chat/completions", chat::handle);
            config.routes.get("/v1/models", admin::models);
            config.routes.post("/v1/load_lora_adapter", admin::load);
            config.routes.post("/v1/unload_lora_adapter", admin::unload);
            config.routes.get("/health", ctx -> ctx.status(200));
            config.routes.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8")
                    .result(s.metrics().scrape()));
            config.routes.exception(ApiException.class, OpenAiRoutes::refuse);
            config.routes.exception(Exception.class, (e, ctx) -> {
                LOG.error("request {} {} failed", ctx.method(), ctx.path(), e);
                refuse(new ApiException(500, "server_error", "internal_error", "internal error: " + e), ctx);
            });
            config.routes.error(404, ctx -> {
                if (ctx.result() == null || ctx.result().isEmpty() || !ctx.result().startsWith("{")) {
                    send(ctx, ApiException.notFound("no route " + ctx.method() + " " + ctx.path(), "not_found"));
                }
            });
        });
    }

    private static void refuse(ApiException e, Context ctx) {
        if (e.status() == 429) {
            ctx.header("Retry-After", "1");
        }
        send(ctx, e);
    }

    private static void send(Context ctx, ApiException e) {
        ctx.status(e.status()).contentType("application/json").result(Responses.error(e).toString());
    }
}
