package io.github.peft4j.models.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.hooks.ForwardContext;
import io.github.peft4j.models.CausalLM;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * Autoregressive generation with a {@link KvCache}: the prompt runs once, then each step feeds only
 * the newest token. Works on any block that is or wraps a {@link CausalLM} (a {@code PeftModel}
 * included) and calls that block's own forward, so active adapters take part, and disabled ones
 * don't. Prompts of different lengths are left-padded into one batch; each row stops at an
 * end-of-sequence id, at a stop string (given a decoder) or after {@code maxNewTokens}. The repetition
 * penalty counts the row's real tokens (prompt and generated), not its padding, so a row decodes alike
 * alone and in a batch. Every step runs in its own sub-manager, so generation leaves no arrays behind.
 *
 * <pre>{@code
 * long[] prompt = tokenizer.encode("The capital of France is");
 * GenerationResult out = Generator.generate(peftModel, List.of(prompt), GenerationConfig.greedy(10));
 * System.out.println(tokenizer.decode(out.tokens().get(0), true));
 * }</pre>
 */
public final class Generator {

    private Generator() {}

    /**
     * @param model a causal LM block or a block wrapping one
     * @param prompts token ids of each prompt (left-padded into a batch)
     * @param config decoding settings
     * @return the generated tokens of each prompt
     */
    public static GenerationResult generate(Block model, List<long[]> prompts, GenerationConfig config) {
        return generate(model, prompts, config, null);
    }

    /**
     * @param model a causal LM block or a block wrapping one
     * @param prompts token ids of each prompt (left-padded into a batch)
     * @param config decoding settings
     * @param decoder token ids to text ({@code tokenizer::decode}) for the stop strings, or {@code null}
     * @return the generated tokens of each prompt
     */
    public static GenerationResult generate(Block model, List<long[]> prompts, GenerationConfig config,
            Function<long[], String> decoder) {
        if (prompts.isEmpty()) {
            throw new PeftConfigException("no prompt to generate from");
        }
        int longest = prompts.stream().mapToInt(p -> p.length).max().orElse(0);
        if (longest == 0) {
            throw new PeftConfigException("prompts must hold at least one token");
        }
        CausalLM lm = causalLm(model);
        long pad = padId(lm, config);
        int rows = prompts.size();
        long[] ids = new long[rows * longest];
        long[] mask = new long[rows * longest];
        for (int r = 0; r < rows; r++) {
            long[] p = prompts.get(r);
            int start = longest - p.length;
            Arrays.fill(ids, r * longest, r * longest + start, pad);
            System.arraycopy(p, 0, ids, r * longest + start, p.length);
            Arrays.fill(mask, r * longest + start, (r + 1) * longest, 1L);
        }
        try (NDManager m = managerOf(model).newSubManager()) {
            Shape shape = new Shape(rows, longest);
            return generate(model, m.create(ids, shape), m.create(mask, shape), config, decoder);
        }
    }

    /**
     * @param model a causal LM block or a block wrapping one
     * @param inputIds [B, T] prompt ids, left-padded
     * @param attentionMask [B, T] (0 on the left padding), or {@code null} when nothing is padded
     * @param config decoding settings
     * @return the generated tokens of each row
     */
    public static GenerationResult generate(Block model, NDArray inputIds, NDArray attentionMask,
            GenerationConfig config) {
        return generate(model, inputIds, attentionMask, config, null);
    }

    /**
     * @param model a causal LM block or a block wrapping one
     * @param inputIds [B, T] prompt ids, left-padded
     * @param attentionMask [B, T] (0 on the left padding), or {@code null} when nothing is padded
     * @param config decoding settings
     * @param decoder token ids to text for the stop strings, or {@code null} when there are none
     * @return the generated tokens of each row
     */
    @SuppressWarnings("try") // the scope only makes the context current on this thread
    public static GenerationResult generate(Block model, NDArray inputIds, NDArray attentionMask,
            GenerationConfig config, Function<long[], String> decoder) {
        CausalLM lm = causalLm(model);
        List<Integer> eos = config.eosTokenIds() != null ? config.eosTokenIds() : lm.config().eosTokenIds();
        long pad = padId(lm, config);
        int rows = Math.toIntExact(inputIds.getShape().get(0));
        int vocab = lm.vocabSize();
        TokenChooser chooser = new TokenChooser(config);
        List<List<Long>> produced = new ArrayList<>();
        List<List<Long>> seen = new ArrayList<>();
        List<StopStrings> stops = new ArrayList<>();
        GenerationResult.FinishReason[] reasons = new GenerationResult.FinishReason[rows];
        long[] promptIds = inputIds.toType(DataType.INT64, false).toLongArray();
        long[] promptMask = attentionMask == null ? null : attentionMask.toType(DataType.INT64, false).toLongArray();
        int promptLength = promptIds.length / rows;
        for (int r = 0; r < rows; r++) {
            produced.add(new ArrayList<>());
            stops.add(StopStrings.of(config.stopStrings(), decoder));
            List<Long> real = new ArrayList<>();
            for (int i = r * promptLength; i < (r + 1) * promptLength; i++) {
                if (promptMask == null || promptMask[i] != 0) {
                    real.add(promptIds[i]);
                }
            }
            seen.add(real);
        }
        List<float[][]> stepLogits = new ArrayList<>();
        NDManager parent = inputIds.getManager();
        ParameterStore ps = new ParameterStore(parent, false);
        try (NDManager session = parent.newSubManager(); KvCache cache = new KvCache(session)) {
            ForwardContext ctx = ForwardContext.current(null).with(KvCache.KEY, cache);
            long[] next = null;
            for (int step = 0; step < config.maxNewTokens(); step++) {
                float[] last;
                try (NDManager sm = session.newSubManager()) {
                    NDList in = step == 0 ? firstInputs(inputIds, attentionMask, sm) : nextInputs(next, sm);
                    NDArray logits;
                    try (ForwardContext.Scope scope = ctx.activate()) {
                        logits = model.forward(ps, in, false, ctx.addTo(null)).head();
                    }
                    last = logits.get(":, -1, :").toFloatArray();
                }
                next = new long[rows];
                float[][] kept = config.outputLogits() ? new float[rows][] : null;
                for (int r = 0; r < rows; r++) {
                    if (kept != null) {
                        kept[r] = Arrays.copyOfRange(last, r * vocab, (r + 1) * vocab);
                    }
                    if (reasons[r] != null) {
                        next[r] = pad;
                        continue;
                    }
                    next[r] = chooser.choose(last, r * vocab, vocab, seen.get(r));
                    produced.get(r).add(next[r]);
                    seen.get(r).add(next[r]);
                    if (eos.contains((int) next[r])) {
                        reasons[r] = GenerationResult.FinishReason.EOS;
                    } else if (stops.get(r).completedBy(toArray(produced.get(r)))) {
                        reasons[r] = GenerationResult.FinishReason.STOP_STRING;
                    }
                }
                if (kept != null) {
                    stepLogits.add(kept);
                }
                if (Arrays.stream(reasons).allMatch(x -> x != null)) {
                    break;
                }
            }
        }
        List<long[]> tokens = new ArrayList<>();
        List<GenerationResult.FinishReason> finish = new ArrayList<>();
        for (int r = 0; r < rows; r++) {
            tokens.add(toArray(produced.get(r)));
            finish.add(reasons[r] == null ? GenerationResult.FinishReason.LENGTH : reasons[r]);
        }
        return new GenerationResult(tokens, finish, stepLogits);
    }

    private static long[] toArray(List<Long> ids) {
        return ids.stream().mapToLong(Long::longValue).toArray();
    }

    private static NDList firstInputs(NDArray ids, NDArray mask, NDManager sm) {
        // copies in the step's manager, so that nothing derived from them lands in the caller's
        NDArray stepIds = ids.toType(DataType.INT64, true);
        stepIds.attach(sm);
        NDArray stepMask = mask == null ? sm.ones(ids.getShape(), DataType.INT64) : mask.toType(DataType.INT64, true);
        stepMask.attach(sm);
        return new NDList(stepIds, stepMask);
    }

    private static NDList nextInputs(long[] next, NDManager sm) {
        Shape shape = new Shape(next.length, 1);
        return new NDList(sm.create(next, shape), sm.ones(shape, DataType.INT64));
    }

    private static CausalLM causalLm(Block model) {
        return CausalLM.find(model).orElseThrow(() -> new PeftCompatibilityException(
                model.getClass().getSimpleName() + " is not a causal language model (nor a PeftModel of one)"));
    }

    /** transformers' rule: pad_token_id, else the first eos id; 0 when neither is a valid token. */
    private static long padId(CausalLM lm, GenerationConfig config) {
        if (config.padTokenId() != null) {
            return config.padTokenId();
        }
        if (lm.config().padTokenId().isPresent()) {
            return lm.config().padTokenId().get();
        }
        List<Integer> eos = config.eosTokenIds() != null ? config.eosTokenIds() : lm.config().eosTokenIds();
        return eos.isEmpty() || eos.get(0) < 0 || eos.get(0) >= lm.vocabSize() ? 0 : eos.get(0);
    }

    private static NDManager managerOf(Block model) {
        for (Parameter p : model.getParameters().values()) {
            if (p.isInitialized()) {
                return p.getArray().getManager();
            }
        }
        throw new PeftConfigException("the model has no initialised parameters");
    }
}
