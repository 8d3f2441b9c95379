package io.github.peft4j.serve.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.peft4j.serve.ApiException;
import io.github.peft4j.serve.ModelResolver;
import io.github.peft4j.serve.Tenant;
import io.github.peft4j.serve.engine.AdapterCache;
import io.github.peft4j.serve.engine.Target;
import io.javalin.http.Context;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code GET /v1/models} (what the tenant may use) and vLLM's runtime adapter endpoints:
 * {@code POST /v1/load_lora_adapter {"lora_name", "lora_path", "load_inplace"}} loads a directory
 * under a configured root (a reload with {@code load_inplace}: requests in flight finish on the
 * version they started with) and {@code POST /v1/unload_lora_adapter {"lora_name"}} stops serving
 * it (its memory is freed when its last request ends). Both need an admin tenant.
 */
final class AdminEndpoints {

    private final Services s;

    AdminEndpoints(Services services) {
        this.s = services;
    }

    void models(Context ctx) {
        Tenant tenant = s.tenant(ctx);
        ObjectNode body = Responses.MAPPER.createObjectNode();
        body.put("object", "list");
        ArrayNode data = body.putArray("data");
        long created = System.currentTimeMillis() / 1000;
        String base = s.config().servedModelName();
        for (String name : s.resolver().modelNames()) {
            boolean isBase = name.equals(base);
            if (isBase ? !tenant.base() : !tenant.allows(ModelResolver.adapterName(name))) {
                continue;
            }
            ObjectNode m = data.addObject();
            m.put("id", name);
            m.put("object", "model");
            m.put("created", created);
            m.put("owned_by", "peft4j");
            m.put("root", name);
            if (isBase) {
                m.putNull("parent");
            } else {
                m.put("parent", base);
            }
            m.put("max_model_len", s.contextLimit());
        }
        ctx.contentType("application/json").result(body.toString());
    }

    void load(Context ctx) {
        admin(ctx);
        JsonNode body = json(ctx);
        String name = text(body, "lora_name");
        String path = text(body, "lora_path");
        boolean inplace = body.path("load_inplace").asBoolean(false);
        if (!inplace && s.resolver().modelNames().contains(name) && !name.equals(s.config().servedModelName())) {
            throw ApiException.badRequest("The lora adapter '" + name + "' has already been loaded; send"
                    + " \"load_inplace\": true to replace it", "adapter_exists");
        }
        Target target = s.resolver().load(name, Path.of(path));
        // read and check it on a loader thread (decoding goes on), then load it now (warm) on the engine
        // thread between steps; a full LRU loads it on first use instead
        wait(s.scheduler().cache().prepare(target));
        wait(s.scheduler().onEngine(() -> {
            AdapterCache.Lease lease = s.scheduler().cache().acquire(target, ModelResolver.loadedRef(name));
            if (lease != null) {
                s.scheduler().cache().release(lease);
            }
            return lease != null;
        }));
        ctx.result("Success: LoRA adapter '" + name + "' added successfully.");
    }

    void unload(Context ctx) {
        admin(ctx);
        String name = text(json(ctx), "lora_name");
        if (!s.resolver().unload(name)) {
            throw ApiException.notFound("The lora adapter '" + name + "' cannot be found.", "adapter_not_found");
        }
        wait(s.scheduler().onEngine(() -> {
            s.scheduler().cache().retire(ModelResolver.loadedRef(name));
            return true;
        }));
        ctx.result("Success: LoRA adapter '" + name + "' removed successfully.");
    }

    private void admin(Context ctx) {
        Tenant t = s.tenant(ctx);
        if (!t.admin()) {
            throw ApiException.forbidden("tenant '" + t.name() + "' may not load or unload adapters");
        }
    }

    private static <T> T wait(java.util.concurrent.CompletableFuture<T> f) {
        try {
            return f.get(120, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw CompletionsEndpoint.asApi(e.getCause());
        } catch (TimeoutException e) {
            throw new ApiException(504, "timeout_error", "load_timeout", "loading the adapter took too long");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(503, "server_error", "interrupted", "interrupted");
        }
    }

    private static JsonNode json(Context ctx) {
        try {
            JsonNode n = Responses.MAPPER.readTree(ctx.body());
            if (n == null || !n.isObject()) {
                throw ApiException.badRequest("the request body must be a JSON object", "invalid_body");
            }
            return n;
        } catch (JsonProcessingException e) {
            throw ApiException.badRequest("the body is not valid JSON: " + e.getOriginalMessage(), "invalid_json");
        }
    }

    private static String text(JsonNode body, String field) {
        JsonNode v = body.path(field);
        if (!v.isTextual() || v.asText().isBlank()) {
            throw ApiException.badRequest("'" + field + "' must be a non-empty string", "invalid_" + field);
        }
        return v.asText();
    }
}
