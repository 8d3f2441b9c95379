package io.github.peft4j.models.config;

import java.util.List;

/**
 * Which layers of a Llama-family model attend through a sliding window, as transformers' configs
 * fill {@code layer_types} when the file has none, and the window they use.
 */
final class SlidingLayers {

    private static final String SLIDING = "sliding_attention";
    private static final String FULL = "full_attention";

    private SlidingLayers() {}

    /** @return the window of the sliding layers, or {@code null} when no layer slides */
    static Integer window(LlamaFamily family, JsonFields f) {
        switch (family) {
            case MISTRAL:
                // MistralConfig defaults to 4096; a file may say null (Mistral v0.2 and later)
                return f.present("sliding_window") ? f.intOrNull("sliding_window") : Integer.valueOf(4096);
            case PHI3:
                return f.intOrNull("sliding_window");
            case QWEN2:
            case QWEN3:
                return f.boolValue("use_sliding_window", false) ? f.intValue("sliding_window", 4096) : null;
            case GEMMA2:
            case GEMMA3:
                return f.present("sliding_window") ? f.intOrNull("sliding_window") : Integer.valueOf(4096);
            default:
                return null;
        }
    }

    /** @return per layer, whether it is a sliding-attention layer */
    static boolean[] of(LlamaFamily family, JsonFields f, int numLayers) {
        boolean[] sliding = new boolean[numLayers];
        if (window(family, f) == null) {
            return sliding;
        }
        List<String> types = f.stringListOrNull("layer_types");
        if (types != null) {
            if (types.size() != numLayers) {
                throw f.invalid("layer_types", "expected " + numLayers + " entries but found " + types.size());
            }
            for (int i = 0; i < numLayers; i++) {
                String t = types.get(i);
                if (!t.equals(SLIDING) && !t.equals(FULL)) {
                    throw f.invalid("layer_types", "expected " + SLIDING + " or " + FULL + " but found '" + t + "'");
                }
                sliding[i] = t.equals(SLIDING);
            }
            return sliding;
        }
        int maxWindowLayers = f.intValue("max_window_layers", 28);
        int pattern = f.requiredPositiveInt("sliding_window_pattern", 6);
        for (int i = 0; i < numLayers; i++) {
            switch (family) {
                case QWEN2:
                case QWEN3:
                    sliding[i] = i >= maxWindowLayers;
                    break;
                case GEMMA2:
                    sliding[i] = i % 2 == 0;
                    break;
                case GEMMA3:
                    sliding[i] = (i + 1) % pattern != 0;
                    break;
                default:
                    sliding[i] = true;
            }
        }
        return sliding;
    }
}
