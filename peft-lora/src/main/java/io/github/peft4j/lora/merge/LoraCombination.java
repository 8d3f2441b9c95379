package io.github.peft4j.lora.merge;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.github.peft4j.core.PeftCompatibilityException;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.targeting.TargetModules;
import io.github.peft4j.core.tuner.TunerLayer;
import io.github.peft4j.lora.LoraConfig;
import io.github.peft4j.lora.layer.LoraLayer;
import io.github.peft4j.lora.linalg.Matrix;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * PEFT's {@code add_weighted_adapter}: a new LoRA adapter made from a weighted combination of
 * existing ones. The new adapter has {@code r = lora_alpha = new rank} (scaling 1), each source
 * adapter's scaling folded into its A/B, no rank or alpha pattern, and the union of the sources'
 * targets; it is added inactive and frozen.
 *
 * <ul>
 *   <li>{@code cat}: A = [w₁s₁A₁; w₂s₂A₂; …], B = [B₁ B₂ …]; rank Σrᵢ; exactly Σ wᵢ·sᵢ·BᵢAᵢ.
 *   <li>{@code svd} and {@code *_svd}: ΔW = Σ wᵢ·ΔWᵢ (ΔWᵢ = sᵢ·BᵢAᵢ, optionally TIES/DARE/pruned),
 *       truncated SVD to {@code svd_rank} (default the largest source rank); exact when that rank
 *       reaches the rank of ΔW.
 *   <li>{@code linear}, {@code ties}, {@code dare_linear}, {@code dare_ties},
 *       {@code magnitude_prune}: equal ranks; with cᵢ = wᵢ·sᵢ, A = combine(sign(cᵢ)·√|cᵢ|·Aᵢ) and
 *       B = combine(√|cᵢ|·Bᵢ) separately (an approximation, as in PEFT).
 * </ul>
 *
 * <pre>{@code
 * LoraCombination.addWeightedAdapter(model, List.of("sql", "chat"), new double[] {0.7, 0.3}, "mix",
 *         LoraCombination.CombinationType.CAT);
 * model.setActiveAdapters("mix");
 * }</pre>
 *
 * <p>Follows PEFT's main branch with its fixes for scaling applied twice in the SVD path
 * (huggingface/peft#3111) and for inherited rsLoRA scaling (#3449). DoRA and {@code lora_bias}
 * adapters are refused: PEFT combines them without their magnitude or bias (#3761).
 */
public final class LoraCombination {

    /** PEFT's {@code combination_type}. */
    public enum CombinationType {
        /** Truncated SVD of the weighted sum of delta weights (PEFT's default). */
        SVD,
        /** Weighted sum of A and of B separately; equal ranks. */
        LINEAR,
        /** Concatenation of the weighted A and of B; exact; rank is the sum. */
        CAT,
        /** TIES on A and B separately. */
        TIES,
        /** TIES on the delta weights, then SVD. */
        TIES_SVD,
        /** DARE (random drop and rescale) on A and B separately, then weighted sum. */
        DARE_LINEAR,
        /** DARE then TIES' sign election on A and B separately. */
        DARE_TIES,
        /** DARE on the delta weights, then SVD. */
        DARE_LINEAR_SVD,
        /** DARE and TIES on the delta weights, then SVD. */
        DARE_TIES_SVD,
        /** Magnitude pruning on A and B separately, then weighted sum. */
        MAGNITUDE_PRUNE,
        /** Magnitude pruning on the delta weights, then SVD. */
        MAGNITUDE_PRUNE_SVD;

        /**
         * @param value PEFT's string, e.g. {@code "dare_ties_svd"}
         * @return the constant
         */
        public static CombinationType of(String value) {
            try {
                return valueOf(value.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new PeftConfigException("Invalid combination_type: " + value);
            }
        }

        boolean isSvd() {
            return name().endsWith("SVD");
        }

        TaskMerging.Method method() {
            return switch (this) {
                case SVD, LINEAR, CAT -> TaskMerging.Method.TASK_ARITHMETIC;
                case TIES, TIES_SVD -> TaskMerging.Method.TIES;
                case DARE_LINEAR, DARE_LINEAR_SVD -> TaskMerging.Method.DARE_LINEAR;
                case DARE_TIES, DARE_TIES_SVD -> TaskMerging.Method.DARE_TIES;
                case MAGNITUDE_PRUNE, MAGNITUDE_PRUNE_SVD -> TaskMerging.Method.MAGNITUDE_PRUNE;
            };
        }
    }

    /**
     * The optional arguments of {@code add_weighted_adapter}.
     *
     * @param svdRank the rank of an SVD combination, or {@code null} for the largest source rank
     * @param svdClamp a quantile in [0, 1] to clamp the SVD factors at, or {@code null}
     * @param density the fraction kept by TIES, DARE and magnitude pruning
     * @param frequencySign TIES' majority sign by count of signs ({@code "frequency"}) instead of by
     *     sum ({@code "total"}, the default)
     */
    public record Options(Integer svdRank, Double svdClamp, Double density, boolean frequencySign) {

        /** @return no SVD rank, no clamp, no density, majority sign by total */
        public static Options defaults() {
            return new Options(null, null, null, false);
        }

        /**
         * @param rank the SVD rank
         * @return a copy with it
         */
        public Options withSvdRank(int rank) {
            return new Options(rank, svdClamp, density, frequencySign);
        }

        /**
         * @param quantile the clamp quantile
         * @return a copy with it
         */
        public Options withSvdClamp(double quantile) {
            return new Options(svdRank, quantile, density, frequencySign);
        }

        /**
         * @param value the density
         * @return a copy with it
         */
        public Options withDensity(double value) {
            return new Options(svdRank, svdClamp, value, frequencySign);
        }

        /**
         * @param frequency whether the majority sign is by count of signs
         * @return a copy with it
         */
        public Options withFrequencySign(boolean frequency) {
            return new Options(svdRank, svdClamp, density, frequency);
        }
    }

    private LoraCombination() {}

    /**
     * @param model the model holding the source adapters
     * @param adapters source LoRA adapters
     * @param weights one weight per source (negative weights subtract)
     * @param newName the new adapter's name
     * @param type how to combine
     */
    public static void addWeightedAdapter(PeftModel model, List<String> adapters, double[] weights, String newName,
            CombinationType type) {
        addWeightedAdapter(model, adapters, weights, newName, type, Options.defaults());
    }

    /**
     * @param model the model holding the source adapters
     * @param adapters source LoRA adapters
     * @param weights one weight per source (negative weights subtract)
     * @param newName the new adapter's name
     * @param type how to combine
     * @param options SVD rank and clamp, density, majority sign method
     * @throws PeftConfigException for unknown or non-LoRA adapters, mismatched ranks or targets, a
     *     taken name, or a missing density
     * @throws PeftCompatibilityException for DoRA or lora_bias adapters
     */
    public static void addWeightedAdapter(PeftModel model, List<String> adapters, double[] weights, String newName,
            CombinationType type, Options options) {
        if (adapters.isEmpty() || adapters.size() != weights.length) {
            throw new PeftConfigException("add_weighted_adapter needs one weight per adapter, got " + adapters.size()
                    + " adapters and " + weights.length + " weights");
        }
        if (model.adapterNames().contains(newName)) {
            throw new PeftConfigException("adapter '" + newName + "' already exists; choose another name");
        }
        List<LoraConfig> configs = new ArrayList<>();
        for (String name : adapters) {
            if (!model.adapterNames().contains(name)) {
                throw new PeftConfigException("Adapter " + name + " does not exist; adapters: " + model.adapterNames());
            }
            if (!(model.config(name) instanceof LoraConfig c)) {
                throw new PeftConfigException("adapter '" + name + "' is " + model.config(name).peftType()
                        + ", not LoRA");
            }
            if (c.useDora() || c.loraBias()) {
                throw new PeftCompatibilityException("adapter '" + name + "' uses " + (c.useDora() ? "DoRA" : "lora_bias")
                        + "; a weighted combination would lose its " + (c.useDora() ? "magnitude vector" : "bias")
                        + " (PEFT gives a silently wrong adapter here, huggingface/peft#3761)");
            }
            configs.add(c);
        }
        CombinationType effective = adapters.size() == 1 ? CombinationType.LINEAR : type;
        int newRank = newRank(effective, configs, options.svdRank());
        LoraConfig newConfig = configs.get(0).toBuilder()
                .r(newRank)
                .loraAlpha(newRank)
                .targetModules(unionOfTargets(configs))
                .rankPattern(Map.of())
                .alphaPattern(Map.of())
                .useRslora(false)
                // A weight-rewriting init of adapters[0] must not run again: the values are overwritten anyway.
                .initLoraWeights(true)
                .build();
        model.addAdapter(newName, newConfig);
        try (NDManager scratch = model.manager().newSubManager()) {
            for (TunerLayer layer : model.tunerLayers()) {
                if (layer instanceof LoraLayer lora && lora.hasAdapter(newName)) {
                    fill(lora, adapters, weights, newName, effective, newRank, options, scratch);
                }
            }
        } catch (RuntimeException e) {
            model.deleteAdapter(newName);
            throw e;
        }
    }

    private static int newRank(CombinationType type, List<LoraConfig> configs, Integer svdRank) {
        List<Integer> ranks = new ArrayList<>();
        for (LoraConfig c : configs) {
            int r = c.r();
            for (int v : c.rankPattern().values()) {
                r = Math.max(r, v);
            }
            ranks.add(r);
        }
        if (type == CombinationType.CAT) {
            return ranks.stream().mapToInt(Integer::intValue).sum();
        }
        if (type.isSvd()) {
            return svdRank != null ? svdRank : Collections.max(ranks);
        }
        if (new LinkedHashSet<>(ranks).size() != 1) {
            throw new PeftConfigException("All adapters must have the same r value when using combination_type linear,"
                    + " ties, dare_ties or dare_linear (ranks: " + ranks + ")");
        }
        return ranks.get(0);
    }

    private static TargetModules unionOfTargets(List<LoraConfig> configs) {
        boolean names = configs.get(0).targetModules().isNames();
        for (LoraConfig c : configs) {
            if (c.targetModules().isNames() != names) {
                throw new PeftConfigException("all adapter configs should follow the same target modules type. Combining"
                        + " adapters with `target_modules` type being a mix of list/set and string is not supported.");
            }
        }
        if (names) {
            Set<String> union = new LinkedHashSet<>();
            configs.forEach(c -> union.addAll(c.targetModules().names()));
            return TargetModules.names(List.copyOf(union));
        }
        StringBuilder regex = new StringBuilder();
        for (LoraConfig c : configs) {
            regex.append(regex.length() == 0 ? "" : "|").append('(').append(c.targetModules().regex()).append(')');
        }
        return TargetModules.regex(regex.toString());
    }

    private static void fill(LoraLayer layer, List<String> adapters, double[] weights, String newName,
            CombinationType type, int newRank, Options options, NDManager scratch) {
        List<String> valid = new ArrayList<>();
        List<Double> validWeights = new ArrayList<>();
        for (int i = 0; i < adapters.size(); i++) {
            if (layer.hasAdapter(adapters.get(i))) {
                valid.add(adapters.get(i));
                validWeights.add(weights[i]);
            }
        }
        if (valid.isEmpty()) {
            throw new PeftConfigException("No matching LoRAs found for a layer targeted by the combination");
        }
        NDArray targetA = layer.loraA(newName);
        NDArray targetB = layer.loraB(newName);
        int in = Math.toIntExact(targetA.getShape().get(1));
        int out = Math.toIntExact(targetB.getShape().get(0));
        Matrix a;
        Matrix b;
        if (type == CombinationType.CAT) {
            Matrix[] ab = concatenate(layer, valid, validWeights, in, out);
            a = ab[0];
            b = ab[1];
        } else if (type.isSvd()) {
            Matrix.Svd svd = svdOfCombination(layer, valid, validWeights, type, options, scratch);
            int k = Math.min(newRank, svd.s().length);
            b = svd.u().leftColumns(k).scaleColumns(Arrays.copyOf(svd.s(), k));
            a = svd.vt().topRows(k);
            if (options.svdClamp() != null) {
                double hi = quantile(b.values(), a.values(), options.svdClamp());
                clamp(b.values(), hi);
                clamp(a.values(), hi);
            }
        } else {
            Matrix[] ab = separately(layer, valid, validWeights, type, options, scratch);
            a = ab[0];
            b = ab[1];
        }
        DataType t = targetA.getDataType();
        try (NDArray newA = pad(a, newRank, in).toNDArray(scratch, t);
                NDArray newB = pad(b, out, newRank).toNDArray(scratch, t)) {
            layer.assignAB(newName, newA, newB);
        }
    }

    /** cat: rows w·s·A stacked, columns B side by side. */
    private static Matrix[] concatenate(LoraLayer layer, List<String> valid, List<Double> weights, int in, int out) {
        int total = 0;
        for (String name : valid) {
            total += layer.settings(name).r();
        }
        Matrix a = new Matrix(total, in);
        Matrix b = new Matrix(out, total);
        int offset = 0;
        for (int i = 0; i < valid.size(); i++) {
            String name = valid.get(i);
            double c = weights.get(i) * layer.settings(name).scaling();
            Matrix ai = Matrix.of(layer.loraA(name));
            Matrix bi = Matrix.of(layer.loraB(name));
            for (int row = 0; row < ai.rows; row++) {
                for (int col = 0; col < in; col++) {
                    a.set(offset + row, col, c * ai.get(row, col));
                }
            }
            for (int row = 0; row < out; row++) {
                for (int col = 0; col < bi.cols; col++) {
                    b.set(row, offset + col, bi.get(row, col));
                }
            }
            offset += ai.rows;
        }
        return new Matrix[] {a, b};
    }

    /** The SVD of ΔW = Σ wᵢ·sᵢ·BᵢAᵢ (after TIES/DARE/pruning for those types), oriented [out, in]. */
    private static Matrix.Svd svdOfCombination(LoraLayer layer, List<String> valid, List<Double> weights,
            CombinationType type, Options options, NDManager scratch) {
        if (type == CombinationType.SVD) {
            // ΔW = [B₁ B₂ …]·[w₁s₁A₁; w₂s₂A₂; …]: the SVD of a product of thin factors is exact and cheap.
            int in = Math.toIntExact(layer.loraA(valid.get(0)).getShape().get(1));
            int out = Math.toIntExact(layer.loraB(valid.get(0)).getShape().get(0));
            Matrix[] ab = concatenate(layer, valid, weights, in, out);
            return Matrix.svdOfProduct(ab[1], ab[0]);
        }
        List<double[]> deltas = new ArrayList<>();
        int rows = 0;
        int cols = 0;
        for (String name : valid) {
            // oriented [out, in]: B·A·s, whatever the stored layout
            Matrix d = Matrix.of(layer.loraB(name)).times(Matrix.of(layer.loraA(name)));
            double s = layer.settings(name).scaling();
            double[] values = d.values();
            for (int i = 0; i < values.length; i++) {
                values[i] *= s;
            }
            deltas.add(d.values());
            rows = d.rows;
            cols = d.cols;
        }
        double[] w = weights.stream().mapToDouble(Double::doubleValue).toArray();
        double[] merged = TaskMerging.merge(type.method(), deltas, w, options.density(), options.frequencySign(), scratch);
        return new Matrix(rows, cols, merged).svd();
    }

    /** linear / ties / dare / magnitude_prune: A and B combined separately with ±√|w·s| weights. */
    private static Matrix[] separately(LoraLayer layer, List<String> valid, List<Double> weights, CombinationType type,
            Options options, NDManager scratch) {
        List<double[]> as = new ArrayList<>();
        List<double[]> bs = new ArrayList<>();
        double[] wa = new double[valid.size()];
        double[] wb = new double[valid.size()];
        Matrix a0 = null;
        Matrix b0 = null;
        for (int i = 0; i < valid.size(); i++) {
            String name = valid.get(i);
            double c = weights.get(i) * layer.settings(name).scaling();
            wa[i] = Math.sqrt(Math.abs(c)) * (c >= 0 ? 1 : -1);
            wb[i] = Math.sqrt(Math.abs(c));
            Matrix ai = Matrix.of(layer.loraA(name));
            Matrix bi = Matrix.of(layer.loraB(name));
            if (a0 != null && (ai.rows != a0.rows || bi.cols != b0.cols)) {
                throw new PeftConfigException("combination " + type.name().toLowerCase(Locale.ROOT) + " needs equal ranks"
                        + " in every layer; adapter '" + name + "' has rank " + ai.rows + " where another has " + a0.rows);
            }
            a0 = ai;
            b0 = bi;
            as.add(ai.values());
            bs.add(bi.values());
        }
        TaskMerging.Method method = type.method();
        Matrix a = new Matrix(a0.rows, a0.cols,
                TaskMerging.merge(method, as, wa, options.density(), options.frequencySign(), scratch));
        Matrix b = new Matrix(b0.rows, b0.cols,
                TaskMerging.merge(method, bs, wb, options.density(), options.frequencySign(), scratch));
        return new Matrix[] {a, b};
    }

    /** Zero-pads A's rows (or B's columns) up to the new adapter's rank. */
    private static Matrix pad(Matrix m, int rows, int cols) {
        if (m.rows == rows && m.cols == cols) {
            return m;
        }
        Matrix out = new Matrix(rows, cols);
        for (int i = 0; i < Math.min(m.rows, rows); i++) {
            for (int j = 0; j < Math.min(m.cols, cols); j++) {
                out.set(i, j, m.get(i, j));
            }
        }
        return out;
    }

    /** torch.quantile (linear interpolation) of the concatenated U·S and Vh entries. */
    private static double quantile(double[] x, double[] y, double q) {
        if (q < 0 || q > 1) {
            throw new PeftConfigException("svd_clamp must be a quantile in [0, 1], got " + q);
        }
        double[] all = new double[x.length + y.length];
        System.arraycopy(x, 0, all, 0, x.length);
        System.arraycopy(y, 0, all, x.length, y.length);
        Arrays.sort(all);
        double pos = q * (all.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = (int) Math.ceil(pos);
        return all[lo] + (all[hi] - all[lo]) * (pos - lo);
    }

    private static void clamp(double[] values, double hi) {
        for (int i = 0; i < values.length; i++) {
            values[i] = Math.max(-hi, Math.min(hi, values[i]));
        }
    }
}
