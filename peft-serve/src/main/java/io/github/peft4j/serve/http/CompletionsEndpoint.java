package io.github.peft4j.serve.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.peft4j.serve.ApiException;
import io.github.peft4j.serve.ChatPromptFormat;
import io.github.peft4j.serve.ModelResolver;
import io.github.peft4j.serve.Tenant;
import io.github.peft4j.serve.engine.Completion;
import io.github.peft4j.serve.engine.GenerationRequest;
import io.github.peft4j.serve.engine.SamplingParams;
import io.github.peft4j.serve.engine.Target;
import io.github.peft4j.serve.policy.PolicyHook;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code POST /v1/completions} and {@code POST /v1/chat/completions}: checks the key, the body and
 * the tenant's right to the model, resolves the exact version, runs the pre-generation policies,
 * queues the request in the scheduler and answers with one JSON body or, with {@code stream}, with
 * server-sent events ({@code data: {chunk}} lines, then {@code data: [DONE]}). A client that goes
 * away has its request cancelled, which frees its batch slot: a streaming one is noticed at the next
 * write (a comment every second while nothing is generated), a non-streaming one by probing its
 * connection every {@value #PROBE_MILLIS} ms ({@link ClientProbe}). Every request, refused or
 * served, ends in the log and the metrics.
 */
final class CompletionsEndpoint {

    private static final long PROBE_MILLIS = 100;

    private final Services s;
    private final boolean chat;

    CompletionsEndpoint(Services services, boolean chat) {
        this.s = services;
        this.chat = chat;
    }

    void handle(Context ctx) throws IOException {
        long t0 = System.nanoTime();
        String id = (chat ? "chatcmpl-" : "cmpl-") + UUID.randomUUID().toString().replace("-", "");
        ObjectNode line = s.log() == null ? null : s.log().line();
        String tenantName = null;
        String adapterTag = "unknown";
        Completion done = null;
        String outcome = "ok";
        OpenAiRequest r = null;
        try {
            Tenant tenant = s.tenant(ctx);
            tenantName = tenant.name();
            r = OpenAiRequest.parse(readJson(ctx), chat, ChatPromptFormat.resolve(s.config().chatTemplate(), s.tokenizer()));
            ModelResolver.Resolved resolved = authorize(tenant, r.model());
            Target target = resolved.target();
            adapterTag = target.isBase() ? target.version() : target.adapter();
            if (line != null) {
                line.put("version", target.version());
                line.put("fingerprint", target.fingerprint());
            }
            for (PolicyHook p : s.config().policies()) {
                p.beforeGeneration(tenant, r.model(), r.prompt());
            }
            long[] prompt = s.tokenizer().encode(r.prompt());
            int maxTokens = maxTokens(r, prompt.length);
            SamplingParams params = new SamplingParams(maxTokens, r.temperature(), r.topP(), r.topK(),
                    r.seed() != null ? r.seed() : ThreadLocalRandom.current().nextLong(), r.stop(),
                    r.ignoreEos());
            ctx.header("X-Peft4j-Version", target.version());
            long deadline = t0 + s.config().requestTimeout().toNanos();
            LinkedBlockingQueue<String> deltas = r.stream() ? new LinkedBlockingQueue<>() : null;
            GenerationRequest request = new GenerationRequest(id, tenant, r.model(), target, resolved.ref(), prompt, params,
                    deltas == null ? null : deltas::add, deadline);
            s.scheduler().submit(request);
            done = r.stream() ? stream(ctx, r, id, request, deltas) : await(request, ClientProbe.of(ctx));
            if (!r.stream() && done != null) {
                ctx.contentType("application/json").result(Responses.completion(r, id, created(), done).toString());
            }
            if (done == null) {
                outcome = "client_closed_request";
            }
        } catch (ApiException e) {
            outcome = e.code() == null ? e.type() : e.code();
            if (e.status() == 429) {
                ctx.header("Retry-After", "1");
            }
            if (!ctx.res().isCommitted()) {
                throw e;
            }
        } finally {
            record(line, tenantName, r, adapterTag, done, outcome, t0);
        }
    }

    private ModelResolver.Resolved authorize(Tenant tenant, String model) {
        if (model.equals(s.config().servedModelName())) {
            if (!tenant.base()) {
                throw ApiException.forbidden("tenant '" + tenant.name() + "' may not use the base model alone");
            }
        } else if (!tenant.allows(ModelResolver.adapterName(model))) {
            throw ApiException.forbidden("tenant '" + tenant.name() + "' may not use adapter '" + model + "'");
        }
        ModelResolver.Resolved resolved = s.resolver().resolve(model);
        Target t = resolved.target();
        if (!t.isBase() && !tenant.allows(t.adapter())) {
            throw ApiException.forbidden("tenant '" + tenant.name() + "' may not use adapter '" + t.adapter() + "'");
        }
        return resolved;
    }

    private int maxTokens(OpenAiRequest r, int promptTokens) {
        int room = s.contextLimit() - promptTokens;
        int max = r.maxTokens() != null ? r.maxTokens() : chat ? Math.max(room, 1) : 16;
        if (promptTokens + max > s.contextLimit()) {
            throw ApiException.badRequest("This model's maximum context length is " + s.contextLimit()
                    + " tokens. However, you requested " + (promptTokens + max) + " tokens (" + promptTokens
                    + " in the prompt, " + max + " in the completion). Please reduce the length of the prompt or"
                    + " completion.", "context_length_exceeded");
        }
        return max;
    }

    /** @return the completion, or {@code null} when the client went away (its request is cancelled) */
    private Completion await(GenerationRequest request, ClientProbe client) {
        long until = System.nanoTime() + (s.config().requestTimeout().toMillis() + 5_000) * 1_000_000L;
        try {
            while (true) {
                try {
                    return request.result().get(PROBE_MILLIS, TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    if (client.gone()) {
                        request.cancel();
                        return null;
                    }
                    if (System.nanoTime() - until > 0) {
                        request.cancel();
                        throw new ApiException(504, "timeout_error", "request_timeout",
                                "the request ran past the server's time limit");
                    }
                }
            }
        } catch (ExecutionException e) {
            throw asApi(e.getCause());
        } catch (InterruptedException e) {
            request.cancel();
            Thread.currentThread().interrupt();
            throw new ApiException(503, "server_error", "interrupted", "interrupted");
        }
    }

    /** @return the completion, or {@code null} when the client went away */
    private Completion stream(Context ctx, OpenAiRequest r, String id, GenerationRequest request,
            LinkedBlockingQueue<String> deltas) {
        long created = created();
        String version = request.target().version();
        ctx.res().setStatus(200);
        ctx.res().setContentType("text/event-stream");
        ctx.res().setHeader("Cache-Control", "no-cache");
        try {
            OutputStream out = ctx.res().getOutputStream();
            event(out, Responses.chunk(r, id, created, version, chat ? null : "", null, true).toString());
            long lastWrite = System.nanoTime();
            while (true) {
                String delta = deltas.poll(50, TimeUnit.MILLISECONDS);
                if (delta != null) {
                    event(out, Responses.chunk(r, id, created, version, delta, null, false).toString());
                    lastWrite = System.nanoTime();
                } else if (request.result().isDone() && deltas.isEmpty()) {
                    break;
                } else if (System.nanoTime() - lastWrite > 1_000_000_000L) {
                    out.write(": keep-alive\n\n".getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    lastWrite = System.nanoTime();
                }
            }
            Completion c;
            try {
                c = request.result().join();
            } catch (RuntimeException e) {
                ApiException api = asApi(e.getCause() != null ? e.getCause() : e);
                event(out, Responses.error(api).toString());
                event(out, "[DONE]");
                throw api;
            }
            ObjectNode last = Responses.chunk(r, id, created, version, null, c.finishReason(), false);
            Responses.usage(last, c);
            event(out, last.toString());
            event(out, "[DONE]");
            return c;
        } catch (IOException e) {
            request.cancel();
            return null;
        } catch (InterruptedException e) {
            request.cancel();
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static void event(OutputStream out, String data) throws IOException {
        out.write(("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private void record(ObjectNode line, String tenant, OpenAiRequest r, String adapter, Completion c, String outcome,
            long t0) {
        double latency = (System.nanoTime() - t0) / 1e9;
        s.metrics().request(adapter, outcome, c != null ? c.latencyMillis() / 1e3 : latency,
                c != null ? c.ttftMillis() / 1e3 : -1, c != null ? c.completionTokens() : 0);
        if (line == null) {
            return;
        }
        line.put("tenant", tenant);
        line.put("endpoint", chat ? "chat.completions" : "completions");
        line.put("model", r == null ? null : r.model());
        line.put("adapter", adapter);
        line.put("outcome", outcome);
        if (c != null) {
            line.put("prompt_tokens", c.promptTokens());
            line.put("completion_tokens", c.completionTokens());
            line.put("queue_ms", c.queueMillis());
            line.put("ttft_ms", c.ttftMillis());
            line.put("latency_ms", c.latencyMillis());
            line.put("finish_reason", c.finishReason());
        } else {
            line.put("latency_ms", latency * 1e3);
        }
        if (r != null) {
            s.log().texts(line, r.prompt(), c == null ? null : c.text());
        }
        s.log().write(line);
    }

    private static JsonNode readJson(Context ctx) {
        try {
            return Responses.MAPPER.readTree(ctx.body());
        } catch (JsonProcessingException e) {
            throw ApiException.badRequest("the body is not valid JSON: " + e.getOriginalMessage(), "invalid_json");
        }
    }

    static ApiException asApi(Throwable t) {
        if (t instanceof ApiException api) {
            return api;
        }
        return new ApiException(500, "server_error", "internal_error", "generation failed: " + t);
    }

    private static long created() {
        return System.currentTimeMillis() / 1000;
    }
}
