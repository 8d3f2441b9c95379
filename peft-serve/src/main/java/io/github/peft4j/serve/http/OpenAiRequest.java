package io.github.peft4j.serve.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.serve.ApiException;
import io.github.peft4j.serve.ChatPromptFormat;
import io.github.peft4j.train.data.ChatMessage;
import java.util.ArrayList;
import java.util.List;

/**
 * The body of {@code POST /v1/completions} or {@code POST /v1/chat/completions}, checked field by
 * field as vLLM checks it (a wrong field is a 400 naming it). Chat messages become the prompt
 * through the server's chat template, followed by the opening of an assistant turn.
 *
 * <pre>{@code
 * OpenAiRequest r = OpenAiRequest.parse(json, true, ChatPromptFormat.of(ServeConfig.DEFAULT_CHAT));
 * r.prompt();   // "<|user|>\nHello<|endoftext|>\n<|assistant|>\n"
 * }</pre>
 *
 * @param chat whether it came to the chat endpoint
 * @param model the {@code model} field
 * @param prompt the prompt text
 * @param maxTokens {@code max_tokens} ({@code max_completion_tokens} for chat), or {@code null}
 * @param temperature 0 = greedy
 * @param topP nucleus mass
 * @param topK candidates kept, 0 = off
 * @param seed the sampler's seed, or {@code null}
 * @param stop stop strings
 * @param stream whether to stream by server-sent events
 * @param ignoreEos vLLM's {@code ignore_eos}
 */
public record OpenAiRequest(boolean chat, String model, String prompt, Integer maxTokens, double temperature,
        double topP, int topK, Long seed, List<String> stop, boolean stream,
        boolean ignoreEos) {

    /**
     * @param body the parsed JSON body
     * @param chat whether it came to the chat endpoint
     * @param template how the messages become the prompt
     * @return the request
     * @throws ApiException 400 naming the first wrong field
     */
    public static OpenAiRequest parse(JsonNode body, boolean chat, ChatPromptFormat template) {
        if (body == null || !body.isObject()) {
            throw ApiException.badRequest("the request body must be a JSON object", "invalid_body");
        }
        JsonNode model = body.path("model");
        if (!model.isTextual()) {
            throw ApiException.badRequest("'model' must be a string naming the base model or an adapter", "invalid_model");
        }
        String prompt = chat ? chatPrompt(body.path("messages"), template) : textPrompt(body.path("prompt"));
        JsonNode maxNode = chat && body.has("max_completion_tokens") ? body.get("max_completion_tokens") : body.path("max_tokens");
        Integer maxTokens = null;
        if (!maxNode.isMissingNode() && !maxNode.isNull()) {
            if (!maxNode.canConvertToInt() || !maxNode.isIntegralNumber() || maxNode.asInt() < 1) {
                throw ApiException.badRequest("max_tokens must be an integer >= 1, got " + maxNode, "invalid_max_tokens");
            }
            maxTokens = maxNode.asInt();
        }
        double temperature = number(body, "temperature", 1.0, 0, 2);
        double topP = number(body, "top_p", 1.0, Double.MIN_VALUE, 1);
        JsonNode k = body.path("top_k");
        int topK = 0;
        if (!k.isMissingNode() && !k.isNull()) {
            if (!k.isIntegralNumber() || !k.canConvertToInt() || k.asInt() < -1) {
                throw ApiException.badRequest("top_k must be an integer >= 1, or -1 / 0 for all tokens, got " + k,
                        "invalid_top_k");
            }
            topK = Math.max(0, k.asInt());
        }
        JsonNode seedNode = body.path("seed");
        Long seed = null;
        if (!seedNode.isMissingNode() && !seedNode.isNull()) {
            if (!seedNode.isIntegralNumber()) {
                throw ApiException.badRequest("seed must be an integer, got " + seedNode, "invalid_seed");
            }
            seed = seedNode.asLong();
        }
        JsonNode n = body.path("n");
        if (!n.isMissingNode() && !n.isNull() && n.asInt(-1) != 1) {
            throw ApiException.badRequest("only n = 1 is supported, got " + n, "invalid_n");
        }
        JsonNode streamNode = body.path("stream");
        if (!streamNode.isMissingNode() && !streamNode.isNull() && !streamNode.isBoolean()) {
            throw ApiException.badRequest("stream must be true or false, got " + streamNode, "invalid_stream");
        }
        return new OpenAiRequest(chat, model.asText(), prompt, maxTokens, temperature, topP, topK, seed,
                stops(body.path("stop")), streamNode.asBoolean(false),
                body.path("ignore_eos").asBoolean(false));
    }

    private static String textPrompt(JsonNode prompt) {
        if (prompt.isArray() && prompt.size() == 1 && prompt.get(0).isTextual()) {
            return prompt.get(0).asText();
        }
        if (!prompt.isTextual() || prompt.asText().isEmpty()) {
            throw ApiException.badRequest("'prompt' must be a non-empty string (or an array of one)", "invalid_prompt");
        }
        return prompt.asText();
    }

    private static String chatPrompt(JsonNode messages, ChatPromptFormat template) {
        if (!messages.isArray() || messages.isEmpty()) {
            throw ApiException.badRequest("'messages' must be a non-empty array of {role, content}", "invalid_messages");
        }
        List<ChatMessage> chat = new ArrayList<>();
        for (JsonNode m : messages) {
            if (!m.path("role").isTextual() || !m.path("content").isTextual()) {
                throw ApiException.badRequest("each message needs a string 'role' and a string 'content', got " + m,
                        "invalid_messages");
            }
            chat.add(new ChatMessage(m.get("role").asText(), m.get("content").asText()));
        }
        try {
            return template.prompt(chat);
        } catch (PeftConfigException e) {
            throw ApiException.badRequest(e.getMessage(), "invalid_messages");
        }
    }

    private static double number(JsonNode body, String field, double fallback, double min, double max) {
        JsonNode v = body.path(field);
        if (v.isMissingNode() || v.isNull()) {
            return fallback;
        }
        if (!v.isNumber() || v.asDouble() < min || v.asDouble() > max) {
            throw ApiException.badRequest(field + " must be a number in [" + (min == Double.MIN_VALUE ? "0 (excl.)" : min)
                    + ", " + max + "], got " + v, "invalid_" + field);
        }
        return v.asDouble();
    }

    private static List<String> stops(JsonNode stop) {
        if (stop.isMissingNode() || stop.isNull()) {
            return List.of();
        }
        if (stop.isTextual()) {
            return List.of(stop.asText());
        }
        List<String> out = new ArrayList<>();
        if (stop.isArray()) {
            for (JsonNode s : stop) {
                if (!s.isTextual() || s.asText().isEmpty()) {
                    throw ApiException.badRequest("stop must be a string or an array of non-empty strings", "invalid_stop");
                }
                out.add(s.asText());
            }
            return out;
        }
        throw ApiException.badRequest("stop must be a string or an array of strings, got " + stop, "invalid_stop");
    }
}
