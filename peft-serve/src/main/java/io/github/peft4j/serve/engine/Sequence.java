package io.github.peft4j.serve.engine;

import io.github.peft4j.models.generation.SequenceDecoder;
import io.github.peft4j.models.tokenizer.HfTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A request being decoded: its decoder (and KV cache), how much of its prompt is in the cache, the
 * tokens and text so far, stop strings, and what has been streamed. The scheduler runs its prompt
 * chunk by chunk, then feeds it one token per step until it finishes.
 */
final class Sequence {

    private final GenerationRequest request;
    private final AdapterCache.Lease lease;
    private final SequenceDecoder decoder;
    private final HfTokenizer tokenizer;
    private final boolean streamDeltas;
    private final boolean batched;
    private final int holdBack;
    private final List<Long> tokens = new ArrayList<>();
    private final long admittedNanos = System.nanoTime();
    private long firstTokenNanos;
    private int prefilled;
    private String text = "";
    private int streamed;
    private String finishReason;

    Sequence(GenerationRequest request, AdapterCache.Lease lease, SequenceDecoder decoder, HfTokenizer tokenizer,
            boolean streamDeltas, boolean batched) {
        this.batched = batched;
        this.request = request;
        this.lease = lease;
        this.decoder = decoder;
        this.tokenizer = tokenizer;
        this.streamDeltas = streamDeltas && request.listener() != null;
        this.holdBack = request.params().stop().stream().mapToInt(String::length).max().orElse(1) - 1;
    }

    GenerationRequest request() {
        return request;
    }

    AdapterCache.Lease lease() {
        return lease;
    }

    /** @return whether its decode steps run in the scheduler's batched forward */
    boolean batched() {
        return batched;
    }

    SequenceDecoder decoder() {
        return decoder;
    }

    /** @return prompt tokens not yet in its cache (0 once it decodes) */
    int promptLeft() {
        return request.promptLength() - prefilled;
    }

    /**
     * Runs the next chunk of the prompt: its next {@code chunk} tokens (fewer at the end). Chunks
     * start at multiples of {@code chunk}, whatever else the step runs, so a prompt's numbers depend
     * only on the chunk size. The last chunk picks the first token.
     *
     * @param chunk the most prompt tokens one forward takes
     * @param contextLimit the model's longest sequence
     * @return the tokens run
     */
    int prefillNext(int chunk, int contextLimit) {
        int n = Math.min(chunk, promptLeft());
        long[] ids = Arrays.copyOfRange(request.promptIds(), prefilled, prefilled + n);
        if (n < promptLeft()) {
            decoder.prefillChunk(ids);
            prefilled += n;
        } else {
            prefilled += n;
            accept(decoder.prefill(ids), contextLimit);
        }
        return n;
    }

    long admittedNanos() {
        return admittedNanos;
    }

    long firstTokenNanos() {
        return firstTokenNanos;
    }

    String text() {
        return text;
    }

    int generated() {
        return tokens.size();
    }

    String finishReason() {
        return finishReason;
    }

    boolean finished() {
        return finishReason != null;
    }

    void finish(String reason) {
        if (finishReason == null) {
            finishReason = reason;
        }
    }

    /**
     * Takes the next token: an end-of-sequence id or a stop string ends with {@code stop},
     * {@code max_tokens} or the context length with {@code length}; otherwise new text is streamed,
     * holding back what could still become a stop string or an incomplete character.
     */
    void accept(long token, int contextLimit) {
        if (firstTokenNanos == 0) {
            firstTokenNanos = System.nanoTime();
        }
        if (decoder.isEos(token) && !request.params().ignoreEos()) {
            finish("stop");
            return;
        }
        tokens.add(token);
        text = tokenizer.decode(tokens.stream().mapToLong(Long::longValue).toArray(), true);
        int cut = firstStop(text);
        if (cut >= 0) {
            text = text.substring(0, cut);
            finish("stop");
        } else if (tokens.size() >= request.params().maxTokens() || decoder.length() + 1 >= contextLimit) {
            finish("length");
        }
        if (streamDeltas && !finished()) {
            int safe = text.length() - holdBack;
            while (safe > streamed && text.charAt(safe - 1) == '\uFFFD') {
                safe--;
            }
            if (safe > streamed) {
                request.listener().onText(text.substring(streamed, safe));
                streamed = safe;
            }
        }
    }

    /** Sends what is left of the final text (all of it when output policies rewrote it). */
    void flush(String finalText) {
        if (request.listener() != null) {
            int from = streamDeltas && finalText.startsWith(text.substring(0, streamed)) ? streamed : 0;
            if (finalText.length() > from) {
                request.listener().onText(finalText.substring(from));
            }
        }
    }

    private int firstStop(String s) {
        int best = -1;
        for (String stop : request.params().stop()) {
            int at = s.indexOf(stop);
            if (at >= 0 && (best < 0 || at < best)) {
                best = at;
            }
        }
        return best;
    }
}
