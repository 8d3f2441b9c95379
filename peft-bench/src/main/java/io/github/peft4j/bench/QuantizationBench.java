package io.github.peft4j.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.lora.LoraConfig;
import io.github.peft4j.models.CrossEntropy;
import io.github.peft4j.models.ModelFactory;
import io.github.peft4j.models.PretrainedModel;
import io.github.peft4j.models.config.LlamaConfig;
import io.github.peft4j.quant.MemoryReport;
import io.github.peft4j.quant.QuantizationConfig;
import io.github.peft4j.quant.QuantizationType;
import io.github.peft4j.quant.Quantizer;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Memory and quality cost of int8 / NF4 / NF4 with double quantization against F32 on a random Llama
 * (hidden 256, intermediate 1024, 4 layers, vocabulary 256): frozen-weight bytes, bytes of a QLoRA
 * setup (LoRA r = 16 on all linear layers plus Adam state), relative logit error, mean KL divergence
 * from the F32 model, top-1 agreement, eval loss delta and forward time. Numbers in docs/quantization.md.
 *
 * <pre>{@code
 * mvn -o -q -pl peft-bench -am package -DskipTests
 * DJL_OFFLINE=true OPT_OUT_TRACKING=true java -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=1 \
 *     -cp "$(cat peft-bench/target/classpath.txt):peft-bench/target/classes" io.github.peft4j.bench.QuantizationBench
 * }</pre>
 */
public final class QuantizationBench {

    private QuantizationBench() {}

    /** @param args unused */
    public static void main(String[] args) {
        LlamaConfig config = LlamaConfig.tiny().vocabSize(256).hiddenSize(256).intermediateSize(1024).numLayers(4)
                .numAttentionHeads(8).numKeyValueHeads(4).build();
        Map<String, QuantizationConfig> variants = new LinkedHashMap<>();
        variants.put("f32", null);
        variants.put("int8", QuantizationConfig.of(QuantizationType.INT8));
        variants.put("nf4", QuantizationConfig.of(QuantizationType.NF4));
        variants.put("nf4+dq", QuantizationConfig.builder().type(QuantizationType.NF4).doubleQuant(true).build());
        System.out.printf(Locale.ROOT, "threads: %s, model: hidden 256, intermediate 1024, 4 layers, vocab 256%n",
                System.getProperty("ai.djl.pytorch.num_threads", "default"));
        System.out.println("| variant | frozen bytes | shrink | + LoRA r16 + Adam | rel. logit error | KL(f32‖q) | top-1 agree | eval loss | Δ loss | quantize ms | forward ms |");
        System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray ids = randomIds(manager, 256, 4, 64, 11);
            float[] reference = null;
            double referenceLoss = 0;
            long referenceBytes = 0;
            for (Map.Entry<String, QuantizationConfig> v : variants.entrySet()) {
                try (PretrainedModel model = ModelFactory.create(config, manager, 42)) {
                    long t0 = System.nanoTime();
                    if (v.getValue() != null) {
                        Quantizer.quantize(model.block(), v.getValue());
                    }
                    double quantizeMs = (System.nanoTime() - t0) / 1e6;
                    long frozen = MemoryReport.ofBase(model.block()).frozenBytes();
                    float[] logits = logits(model.block(), manager, ids);
                    long t1 = System.nanoTime();
                    for (int i = 0; i < 5; i++) {
                        logits(model.block(), manager, ids);
                    }
                    double forwardMs = (System.nanoTime() - t1) / 5e6;
                    double loss = evalLoss(model.block(), manager, ids);
                    if (reference == null) {
                        reference = logits;
                        referenceLoss = loss;
                        referenceBytes = frozen;
                    }
                    long qlora;
                    try (PeftModel peft = PeftModel.create(model.block(),
                            LoraConfig.builder().r(16).loraAlpha(32).targetModules("all-linear").build())) {
                        MemoryReport report = MemoryReport.of(peft, MemoryReport.adamStateBytes(peft.trainableParameters()));
                        qlora = report.totalBytes();
                        if (v.getKey().equals("nf4+dq")) {
                            System.err.print(report.table());
                        }
                    }
                    double[] kl = klAndAgreement(reference, logits, 256);
                    System.out.printf(Locale.ROOT, "| %s | %,d | %.2f× | %,d | %.4f | %.5f | %.3f | %.4f | %+.4f | %.0f | %.1f |%n",
                            v.getKey(), frozen, (double) referenceBytes / frozen, qlora,
                            relativeError(logits, reference), kl[0], kl[1], loss, loss - referenceLoss,
                            quantizeMs, forwardMs);
                }
            }
        }
    }

    private static NDArray randomIds(NDManager manager, int vocab, int batch, int length, long seed) {
        Random r = new Random(seed);
        long[] ids = new long[batch * length];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = r.nextInt(vocab);
        }
        return manager.create(ids, new Shape(batch, length));
    }

    private static float[] logits(Block block, NDManager manager, NDArray ids) {
        try (NDManager scope = manager.newSubManager()) {
            NDArray x = ids.duplicate();
            x.attach(scope);
            return block.forward(new ParameterStore(scope, false), new NDList(x), false).head().toFloatArray();
        }
    }

    /** ‖a − b‖ / ‖b‖ in double precision. */
    private static double relativeError(float[] a, float[] b) {
        double num = 0;
        double den = 0;
        for (int i = 0; i < a.length; i++) {
            double d = a[i] - b[i];
            num += d * d;
            den += (double) b[i] * b[i];
        }
        return Math.sqrt(num / den);
    }

    private static double evalLoss(Block block, NDManager manager, NDArray ids) {
        try (NDManager scope = manager.newSubManager()) {
            NDArray x = ids.duplicate();
            x.attach(scope);
            NDArray logits = block.forward(new ParameterStore(scope, false), new NDList(x), false).head();
            return CrossEntropy.causalLm(logits, x).getFloat();
        }
    }

    /** Mean KL(p‖q) over positions, and the fraction of positions whose argmax agrees. */
    private static double[] klAndAgreement(float[] p, float[] q, int vocab) {
        double kl = 0;
        int agree = 0;
        int rows = p.length / vocab;
        for (int r = 0; r < rows; r++) {
            double[] lp = logSoftmax(p, r * vocab, vocab);
            double[] lq = logSoftmax(q, r * vocab, vocab);
            int ap = 0;
            int aq = 0;
            for (int i = 0; i < vocab; i++) {
                kl += Math.exp(lp[i]) * (lp[i] - lq[i]);
                ap = lp[i] > lp[ap] ? i : ap;
                aq = lq[i] > lq[aq] ? i : aq;
            }
            agree += ap == aq ? 1 : 0;
        }
        return new double[] {kl / rows, (double) agree / rows};
    }

    private static double[] logSoftmax(float[] x, int from, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, x[from + i]);
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += Math.exp(x[from + i] - max);
        }
        double log = max + Math.log(sum);
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = x[from + i] - log;
        }
        return out;
    }
}
