package io.github.peft4j.models.config;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.peft4j.core.io.PythonJson;

/**
 * {@code rope_scaling} of a Llama-family config. Supported types: {@code default} (none),
 * {@code linear} (positions divided by {@code factor}) and {@code llama3} (Llama 3.1's
 * frequency-dependent scaling).
 *
 * <pre>{@code
 * RopeScaling llama31 = RopeScaling.llama3(8.0, 1.0, 4.0, 8192);
 * }</pre>
 *
 * @param type {@code default}, {@code linear} or {@code llama3}
 * @param factor the scaling factor
 * @param lowFreqFactor llama3's {@code low_freq_factor}
 * @param highFreqFactor llama3's {@code high_freq_factor}
 * @param originalMaxPositionEmbeddings llama3's {@code original_max_position_embeddings}
 */
public record RopeScaling(String type, double factor, double lowFreqFactor, double highFreqFactor,
        int originalMaxPositionEmbeddings) {

    /** No scaling. */
    public static final RopeScaling NONE = new RopeScaling("default", 1.0, 1.0, 1.0, 0);

    /**
     * @param factor positions are divided by it
     * @return linear scaling
     */
    public static RopeScaling linear(double factor) {
        return new RopeScaling("linear", factor, 1.0, 1.0, 0);
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
        return new RopeScaling("llama3", factor, lowFreqFactor, highFreqFactor, originalMaxPositionEmbeddings);
    }

    static RopeScaling parse(JsonFields config) {
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
            default:
                throw config.invalid("rope_scaling", "rope type '" + type
                        + "' is not supported; peft4j supports default, linear and llama3");
        }
    }

    private static double positive(JsonFields config, double value, String key) {
        if (!(value > 0)) {
            throw config.invalid("rope_scaling", key + " must be > 0, found " + value);
        }
        return value;
    }

    ObjectNode toJson() {
        ObjectNode node = PythonJson.mapper().createObjectNode();
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
     * ({@code _compute_default_rope_parameters} and {@code _compute_llama3_parameters}).
     *
     * @param theta {@code rope_theta}
     * @param headDim the head size
     * @return {@code headDim / 2} inverse frequencies
     */
    public float[] inverseFrequencies(double theta, int headDim) {
        float[] inv = new float[headDim / 2];
        for (int i = 0; i < inv.length; i++) {
            // transformers: 1 / base ** (arange(0, dim, 2).float() / dim), in float32
            float exponent = (float) (2 * i) / (float) headDim;
            double value = 1.0 / (float) Math.pow(theta, exponent);
            switch (type) {
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
