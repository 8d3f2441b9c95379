package io.github.peft4j.quant;

import io.github.peft4j.core.AdapterTensor;
import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.module.ModuleTree;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Bytes held by a model's tensors, split as QLoRA reports them: frozen base weights (quantized codes
 * and scales, plus whatever stays in full precision: embeddings, norms, head, biases), adapter
 * weights, and optimizer state. Activations and temporaries are not counted. A tensor shared by two
 * modules (a tied head) is counted once.
 *
 * <pre>{@code
 * MemoryReport report = MemoryReport.of(peftModel, MemoryReport.adamStateBytes(peftModel.trainableParameters()));
 * System.out.println(report.table());
 * }</pre>
 *
 * @param quantizedBytes codes and scales of {@link QuantizedLinear} layers
 * @param fullPrecisionBytes frozen base tensors kept as they are (F32)
 * @param adapterBytes tensors of every adapter
 * @param optimizerBytes optimizer state, as given
 */
public record MemoryReport(long quantizedBytes, long fullPrecisionBytes, long adapterBytes, long optimizerBytes) {

    /**
     * @param model a PEFT model
     * @return its report without optimizer state
     */
    public static MemoryReport of(PeftModel model) {
        return of(model, 0);
    }

    /**
     * @param model a PEFT model
     * @param optimizerStateBytes bytes of optimizer state to report alongside
     * @return its report
     */
    public static MemoryReport of(PeftModel model, long optimizerStateBytes) {
        Map<NDArray, Boolean> adapter = new IdentityHashMap<>();
        long adapterBytes = 0;
        for (String name : model.adapterNames()) {
            for (AdapterTensor t : model.tensors(name)) {
                if (t.parameter().isInitialized() && adapter.put(t.parameter().getArray(), true) == null) {
                    adapterBytes += bytes(t.parameter().getArray());
                }
            }
        }
        MemoryReport base = ofBase(model.baseModel(), adapter);
        return new MemoryReport(base.quantizedBytes, base.fullPrecisionBytes, adapterBytes, optimizerStateBytes);
    }

    /**
     * @param model a model without adapters
     * @return its frozen-weight bytes
     */
    public static MemoryReport ofBase(Block model) {
        return ofBase(model, new IdentityHashMap<>());
    }

    private static MemoryReport ofBase(Block model, Map<NDArray, Boolean> seen) {
        Map<NDArray, Boolean> counted = new IdentityHashMap<>(seen);
        ModuleTree tree = ModuleTree.of(model);
        long quantized = 0;
        for (ModuleTree.Module m : tree.modules().values()) {
            if (m.block() instanceof QuantizedLinear q) {
                quantized += q.storageBytes();
            }
        }
        long full = 0;
        for (Parameter p : tree.parameters().values()) {
            if (p.isInitialized() && counted.put(p.getArray(), true) == null) {
                full += bytes(p.getArray());
            }
        }
        return new MemoryReport(quantized, full, 0, 0);
    }

    /**
     * @param trainable the parameters an Adam-type optimizer updates
     * @return bytes of its two F32 moments per parameter
     */
    public static long adamStateBytes(List<Parameter> trainable) {
        long n = 0;
        for (Parameter p : trainable) {
            n += p.getArray().size();
        }
        return 2 * Float.BYTES * n;
    }

    private static long bytes(NDArray a) {
        return a.size() * a.getDataType().getNumOfBytes();
    }

    /** @return frozen base bytes: quantized plus full precision */
    public long frozenBytes() {
        return quantizedBytes + fullPrecisionBytes;
    }

    /** @return everything counted */
    public long totalBytes() {
        return frozenBytes() + adapterBytes + optimizerBytes;
    }

    /** @return a readable table, one line per component, in bytes and MiB */
    public String table() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-34s %15s %11s%n", "component", "bytes", "MiB"));
        row(sb, "frozen base, quantized linears", quantizedBytes);
        row(sb, "frozen base, full precision", fullPrecisionBytes);
        row(sb, "adapter weights", adapterBytes);
        row(sb, "optimizer state", optimizerBytes);
        row(sb, "total", totalBytes());
        return sb.toString();
    }

    private static void row(StringBuilder sb, String name, long bytes) {
        sb.append(String.format(Locale.ROOT, "%-34s %,15d %11.3f%n", name, bytes, bytes / 1048576.0));
    }
}
