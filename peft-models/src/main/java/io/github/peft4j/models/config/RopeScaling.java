package io.github.peft4j.models.config;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.peft4j.core.io.PythonJson;
import java.util.List;

/**
 * {@code rope_scaling} of a Llama-family config. Supported types: {@code default} (none),
 * {@code linear} (positions divided by {@code factor}), {@code llama3} (Llama 3.1's
 * frequency-dependent scaling) and {@code longrope} (Phi-3's 128k variants, also spelled {@code su}:
 * per-frequency {@code short_factor} / {@code long_factor}, the long ones once a forward's positions
 * exceed {@code original_max_position_embeddings}, and cos/sin scaled by the attention factor).
 *
 * <pre>{@code
 * RopeScaling llama31 = RopeScaling.llama3(8.0, 1.0, 4.0, 8192);
 * RopeScaling phi3 = RopeScaling.longrope(shortFactor, longFactor, 4096, 131072);
 * }</pre>
 *
 * @param type {@code default}, {@code linear}, {@code llama3} or {@code longrope}
 * @param factor the scaling factor (longrope: {@code max_position_embeddings / original_max_position_embeddings}
 *     unless the file gives one)
 * @param lowFreqFactor llama3's {@code low_freq_factor}
 * @param highFreqFactor llama3's {@code high_freq_factor}
 * @param originalMaxPositionEmbeddings llama3's and longrope's {@code original_max_position_embeddings}
 * @param shortFactor longrope's {@code short_factor} (one per frequency), empty for other types
 * @param longFactor longrope's {@code long_factor}, empty for other types
 * @param attentionFactor what cos and sin are multiplied by (longrope:
 *     {@code sqrt(1 + ln(factor) / ln(original_max_position_embeddings))} unless the file gives
 *     {@code attention_factor}); 1 for other types
 */
public record RopeScaling(String type, double factor, double lowFreqFactor, double highFreqFactor,
        int originalMaxPositionEmbeddings, List<Double> shortFactor, List<Double> longFactor,
        double attentionFactor) {

    /** No scaling. */
    public static final RopeScaling NONE = new RopeScaling("default", 1.0, 1.0, 1.0, 0, List.of(), List.of(), 1.0);

    /** Copies the factor lists. */
    public RopeScaling {
        shortFactor = List.copyOf(shortFactor);
        longFactor = List.copyOf(longFactor);
    }

    /**
     * @param factor positions are divided by it
     * @return linear scaling
     */
    public static RopeScaling linear(double factor) {
        return new RopeScaling("linear", factor, 1.0, 1.0, 0, List.of(), List.of(), 1.0);
    }

    /**
     * Phi-3's LongRoPE, as transformers' {@code _compute_longrope_parameters} reads a Phi-3 config:
     * the factor is {@code maxPositionEmbeddings / originalMaxPositionEmbeddings} and the attention
     * factor {@code sqrt(1 + ln(factor) / ln(originalMaxPositionEmbeddings))} (1 when the factor is at most 1).
     *
     * @param shortFactor {@code short_factor}, one per rotary frequency
     * @param longFactor {@code long_factor}, one per rotary frequency
     * @param originalMaxPositionEmbeddings the pretraining length; longer forwards use the long factors
     * @param maxPositionEmbeddings {@code max_position_embeddings} of the config
     * @return longrope scaling
     */
    public static RopeScaling longrope(List<Double> shortFactor, List<Double> longFactor,
            int originalMaxPositionEmbeddings, int maxPositionEmbeddings) {
        double factor = (double) maxPositionEmbeddings / originalMaxPositionEmbeddings;
        return new RopeScaling("longrope", factor, 1.0, 1.0, originalMaxPositionEmbeddings, shortFactor, longFactor,
                longRopeAttention(factor, originalMaxPositionEmbeddings));
    }

    private static double longRopeAttention(double factor, int originalMax) {
        return factor <= 1.0 ? 1.0 : Math.sqrt(1 + Math.log(factor) / Math.log(originalMax));
    }

    /**
     * @param factor {@code factor}
     * @param lowFreqFactor {@code low_freq_factor}
     * @param highFreqFactor {@code high_freq_factor}
     * @param originalMaxPositionEmbeddings {@code original_max_position_embeddings}
     * @return Llama 3.1's scaling
     */
    public static RopeScaling llama3(double factor, double lowFreqFactor, double highFreqFactor,
            int originalMaxPositionEmbeddings) {
        return new RopeScaling("llama3", factor, lowFreqFactor, highFreqFactor, originalMaxPositionEmbeddings,
                List.of(), List.of(), 1.0);
    }

    /**
     * @param config the whole configuration
     * @param phi3 whether it is a Phi-3 config (whose {@code original_max_position_embeddings} defaults to 4096)
     * @param maxPositions its {@code max_position_embeddings}
     * @param rotaryDim the rotated channels of a head (longrope needs {@code rotaryDim / 2} factors)
     */
    static RopeScaling parse(JsonFields config, boolean phi3, int maxPositions, int rotaryDim) {
        ObjectNode node = config.objectOrNull("rope_scaling");
        if (node == null) {
            return NONE;
        }
        JsonFields f = new JsonFields(node, null);
        String type = f.string("rope_type", f.string("type", "default"));
        switch (type) {
            case "default":
                return NONE;
            case "linear":
                return linear(positive(config, f.doubleValue("factor", 1.0), "factor"));
            case "llama3":
                double low = f.doubleValue("low_freq_factor", 1.0);
                double high = f.doubleValue("high_freq_factor", 4.0);
                if (!(high > low)) {
                    throw config.invalid("rope_scaling", "llama3 needs high_freq_factor > low_freq_factor, found "
                            + high + " and " + low);
                }
                return llama3(positive(config, f.doubleValue("factor", 8.0), "factor"), low, high,
                        f.intValue("original_max_position_embeddings", 8192));
            case "longrope":
            case "su":
                return parseLongRope(config, f, phi3, maxPositions, rotaryDim);
            default:
                throw config.invalid("rope_scaling", "rope type '" + type
                        + "' is not supported; peft4j supports default, linear, llama3 and longrope");
        }
    }

    /**
     * transformers' {@code _compute_longrope_parameters}: a top-level {@code original_max_position_embeddings}
     * (Phi-3's, default 4096) sets the factor to {@code max / original}; otherwise the rope_scaling's own
     * {@code original_max_position_embeddings} (default: {@code max_position_embeddings}) and {@code factor}.
     */
    private static RopeScaling parseLongRope(JsonFields config, JsonFields f, boolean phi3, int maxPositions,
            int rotaryDim) {
        List<Double> shortFactor = f.doubleListOrNull("short_factor");
        List<Double> longFactor = f.doubleListOrNull("long_factor");
        for (List<Double> factors : List.of(shortFactor == null ? List.<Double>of() : shortFactor,
                longFactor == null ? List.<Double>of() : longFactor)) {
            if (factors.size() != rotaryDim / 2) {
                throw config.invalid("rope_scaling", "longrope needs short_factor and long_factor with "
                        + rotaryDim / 2 + " numbers each (head_dim * partial_rotary_factor / 2), found "
                        + (shortFactor == null ? "no short_factor" : shortFactor.size())
                        + " and " + (longFactor == null ? "no long_factor" : longFactor.size()));
            }
        }
        int original;
        double factor;
        if (config.has("original_max_position_embeddings") || phi3) {
            original = config.requiredPositiveInt("original_max_position_embeddings", 4096);
            factor = (double) maxPositions / original;
        } else {
            original = f.requiredPositiveInt("original_max_position_embeddings", maxPositions);
            factor = f.doubleValue("factor", (double) maxPositions / original);
        }
        Double attention = f.doubleOrNull("attention_factor");
        return new RopeScaling("longrope", factor, 1.0, 1.0, original, shortFactor, longFactor,
                attention != null ? attention : longRopeAttention(factor, original));
    }

    /**
     * @param sequenceLength one more than the largest position id of a forward
     * @return whether the forward rotates with the long factors (longrope beyond
     *     {@code original_max_position_embeddings})
     */
    public boolean usesLongFactors(long sequenceLength) {
        return type.equals("longrope") && sequenceLength > originalMaxPositionEmbeddings;
    }

    private static double positive(JsonFields config, double value, String key) {
        if (!(value > 0)) {
            throw config.invalid("rope_scaling", key + " must be > 0, found " + value);
        }
        return value;
    }

    ObjectNode toJson() {
        ObjectNode node = PythonJson.mapper().createObjectNode();
        if (type.equals("longrope")) {
            // Phi3Config accepts exactly these three keys; the lengths are top-level fields
            node.put("type", type);
            ArrayNode shortNode = node.putArray("short_factor");
            shortFactor.forEach(shortNode::add);
            ArrayNode longNode = node.putArray("long_factor");
            longFactor.forEach(longNode::add);
            return node;
        }
        node.put("rope_type", type);
        node.put("factor", factor);
        if (type.equals("llama3")) {
            node.put("low_freq_factor", lowFreqFactor);
            node.put("high_freq_factor", highFreqFactor);
            node.put("original_max_position_embeddings", originalMaxPositionEmbeddings);
        }
        return node;
    }

    /**
     * The inverse frequencies of rotary embeddings with this scaling, as Hugging Face computes them
     * ({@code _compute_default_rope_parameters}, {@code _compute_llama3_parameters},
     * {@code _compute_longrope_parameters} with the short factors).
     *
     * @param theta {@code rope_theta}
     * @param headDim the head size
     * @return {@code headDim / 2} inverse frequencies
     */
    public float[] inverseFrequencies(double theta, int headDim) {
        return inverseFrequencies(theta, headDim, false);
    }

    /**
     * @param theta {@code rope_theta}
     * @param headDim the rotated size of a head
     * @param longFactors whether longrope divides by {@code long_factor} (else {@code short_factor})
     * @return {@code headDim / 2} inverse frequencies
     */
    public float[] inverseFrequencies(double theta, int headDim, boolean longFactors) {
        float[] inv = new float[headDim / 2];
        for (int i = 0; i < inv.length; i++) {
            // transformers: 1 / base ** (arange(0, dim, 2).float() / dim), in float32
            float exponent = (float) (2 * i) / (float) headDim;
            double value = 1.0 / (float) Math.pow(theta, exponent);
            switch (type) {
                case "longrope":
                    // 1 / (ext_factors * base ** exponent), all float32
                    float ext = (float) (double) (longFactors ? longFactor : shortFactor).get(i);
                    value = 1f / (ext * (float) Math.pow(theta, exponent));
                    break;
                case "linear":
                    value = value / factor;
                    break;
                case "llama3":
                    value = llama3Frequency(value);
                    break;
                default:
                    break;
            }
            inv[i] = (float) value;
        }
        return inv;
    }

    private double llama3Frequency(double freq) {
        double lowFreqWavelen = originalMaxPositionEmbeddings / lowFreqFactor;
        double highFreqWavelen = originalMaxPositionEmbeddings / highFreqFactor;
        double wavelen = 2 * Math.PI / freq;
        if (wavelen < highFreqWavelen) {
            return freq;
        }
        if (wavelen > lowFreqWavelen) {
            return freq / factor;
        }
        double smooth = (originalMaxPositionEmbeddings / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
        return (1 - smooth) * freq / factor + smooth * freq;
    }
}
