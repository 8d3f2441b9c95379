package io.github.peft4j.serve.http;

import io.github.peft4j.models.tokenizer.HfTokenizer;
import io.github.peft4j.serve.ApiException;
import io.github.peft4j.serve.ModelResolver;
import io.github.peft4j.serve.RequestLog;
import io.github.peft4j.serve.ServeConfig;
import io.github.peft4j.serve.ServeMetrics;
import io.github.peft4j.serve.Tenant;
import io.github.peft4j.serve.engine.Scheduler;
import io.javalin.http.Context;

/**
 * What the HTTP handlers share: the configuration, model resolution, the scheduler, the tokenizer,
 * metrics and the request log; and the one place API keys become tenants.
 *
 * <pre>{@code
 * Tenant t = services.tenant(ctx);   // 401 for a missing or unknown key
 * }</pre>
 *
 * @param config the server's configuration
 * @param resolver model names to versions
 * @param scheduler the continuous batch
 * @param tokenizer the base model's tokenizer
 * @param contextLimit the model's longest sequence
 * @param metrics Prometheus metrics
 * @param log the request log, or {@code null}
 */
public record Services(ServeConfig config, ModelResolver resolver, Scheduler scheduler, HfTokenizer tokenizer,
        int contextLimit, ServeMetrics metrics, RequestLog log) {

    /**
     * @param ctx a request
     * @return its tenant: the one of its {@code Authorization: Bearer} key, or {@link Tenant#ANONYMOUS}
     *     when the server has no keys
     * @throws ApiException 401 for a missing or unknown key
     */
    public Tenant tenant(Context ctx) {
        if (config.apiKeys().isEmpty()) {
            return Tenant.ANONYMOUS;
        }
        String header = ctx.header("Authorization");
        String key = header != null && header.startsWith("Bearer ") ? header.substring(7).trim() : null;
        Tenant t = key == null ? null : config.apiKeys().get(key);
        if (t == null) {
            throw new ApiException(401, "invalid_request_error", "invalid_api_key", key == null
                    ? "no API key: send 'Authorization: Bearer <key>'" : "Incorrect API key provided");
        }
        return t;
    }
}
