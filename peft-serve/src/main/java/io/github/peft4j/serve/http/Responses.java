package io.github.peft4j.serve.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.peft4j.serve.ApiException;
import io.github.peft4j.serve.engine.Completion;

/**
 * OpenAI's response bodies, as vLLM writes them: {@code text_completion} and
 * {@code chat.completion} objects, their streamed chunks, and the error body
 * {@code {"error": {"message", "type", "code"}}}. The exact adapter version served is in
 * {@code system_fingerprint} (and the {@code X-Peft4j-Version} header).
 *
 * <pre>{@code
 * String json = Responses.error(ApiException.badRequest("bad", "x")).toString();
 * }</pre>
 */
public final class Responses {

    static final ObjectMapper MAPPER = new ObjectMapper();

    private Responses() {}

    /** @param e a refusal @return its error body */
    public static ObjectNode error(ApiException e) {
        ObjectNode body = MAPPER.createObjectNode();
        ObjectNode err = body.putObject("error");
        err.put("message", e.getMessage());
        err.put("type", e.type());
        if (e.code() == null) {
            err.putNull("code");
        } else {
            err.put("code", e.code());
        }
        return body;
    }

    static ObjectNode completion(OpenAiRequest r, String id, long created, Completion c) {
        ObjectNode body = head(r, id, created, r.chat() ? "chat.completion" : "text_completion", c.target().version());
        ObjectNode choice = body.putArray("choices").addObject();
        choice.put("index", 0);
        if (r.chat()) {
            ObjectNode message = choice.putObject("message");
            message.put("role", "assistant");
            message.put("content", c.text());
        } else {
            choice.put("text", c.text());
            choice.putNull("logprobs");
        }
        choice.put("finish_reason", c.finishReason());
        usage(body, c);
        return body;
    }

    static ObjectNode chunk(OpenAiRequest r, String id, long created, String version, String delta, String finishReason,
            boolean first) {
        ObjectNode body = head(r, id, created, r.chat() ? "chat.completion.chunk" : "text_completion", version);
        ObjectNode choice = body.putArray("choices").addObject();
        choice.put("index", 0);
        if (r.chat()) {
            ObjectNode d = choice.putObject("delta");
            if (first) {
                d.put("role", "assistant");
            }
            if (delta != null) {
                d.put("content", delta);
            }
        } else {
            choice.put("text", delta == null ? "" : delta);
            choice.putNull("logprobs");
        }
        if (finishReason == null) {
            choice.putNull("finish_reason");
        } else {
            choice.put("finish_reason", finishReason);
        }
        return body;
    }

    static void usage(ObjectNode body, Completion c) {
        ObjectNode usage = body.putObject("usage");
        usage.put("prompt_tokens", c.promptTokens());
        usage.put("completion_tokens", c.completionTokens());
        usage.put("total_tokens", c.promptTokens() + c.completionTokens());
    }

    private static ObjectNode head(OpenAiRequest r, String id, long created, String object, String version) {
        ObjectNode body = MAPPER.createObjectNode();
        body.put("id", id);
        body.put("object", object);
        body.put("created", created);
        body.put("model", r.model());
        body.put("system_fingerprint", version);
        return body;
    }
}
