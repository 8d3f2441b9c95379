package io.github.peft4j.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.files.AtomicFiles;
import io.github.peft4j.train.data.preference.PreferenceDataset;
import io.github.peft4j.train.eval.Evaluator;
import io.github.peft4j.train.eval.ObjectiveResult;
import io.github.peft4j.train.preference.DpoObjective;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How much the adapter prefers the chosen answers of held-out pairs, before and after a DPO run:
 * DPO's reward accuracy and margin against the base model (the share of pairs where the adapter
 * raises the chosen answer's log-probability more than the rejected one's, and by how much, times
 * beta), measured on the adapter the run starts from and on the trained one; {@code preference.json}.
 *
 * <pre>{@code
 * PreferenceReport r = PreferenceReport.before(peft, heldOut, objective.heldOutMeasure(), true);
 * // ... train ...
 * r.after(peft, out);        // held-out reward accuracy 0.62 -> 0.97 ...
 * }</pre>
 */
final class PreferenceReport {

    static final String FILE = "preference.json";

    private final PreferenceDataset heldOut;
    private final DpoObjective measure;
    private final String startedFrom;
    private final ObjectiveResult before;

    private PreferenceReport(PreferenceDataset heldOut, DpoObjective measure, String startedFrom,
            ObjectiveResult before) {
        this.heldOut = heldOut;
        this.measure = measure;
        this.startedFrom = startedFrom;
        this.before = before;
    }

    /**
     * @param peft the model before training
     * @param heldOut held-out pairs
     * @param measure DPO against the base
     * @param continuing whether the run continues an adapter (else it starts from the base)
     * @return the report with its "before" column
     */
    static PreferenceReport before(PeftModel peft, PreferenceDataset heldOut, DpoObjective measure,
            boolean continuing) {
        System.out.printf("measuring %d held-out preference pairs before training...%n", heldOut.size());
        return new PreferenceReport(heldOut, measure, continuing ? "the adapter continued" : "the base",
                measure(peft, heldOut, measure));
    }

    private static ObjectiveResult measure(PeftModel peft, PreferenceDataset pairs, DpoObjective measure) {
        NDArray anchor = Evaluator.anchorArray(peft);
        try (NDManager m = anchor.getManager().newSubManager(anchor.getDevice())) {
            return Evaluator.evaluate(peft, pairs, 8, measure, m);
        }
    }

    /**
     * Measures the trained adapter, prints both columns and writes {@value #FILE}.
     *
     * @param peft the trained model
     * @param out the run directory
     */
    void after(PeftModel peft, Path out) {
        ObjectiveResult after = measure(peft, heldOut, measure);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("pairs", heldOut.size());
        json.put("measure", measure.toString());
        json.put("started_from", startedFrom);
        json.put("before", column(before));
        json.put("after", column(after));
        try {
            AtomicFiles.write(out.resolve(FILE), new ObjectMapper().writerWithDefaultPrettyPrinter()
                    .writeValueAsBytes(json));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        System.out.printf("held-out preferences (%d pairs, against the base): reward accuracy %.3f -> %.3f,"
                        + " margin %.3f -> %.3f, DPO loss %.4f -> %.4f%n", heldOut.size(),
                before.metrics().get("rewards/accuracies"), after.metrics().get("rewards/accuracies"),
                before.metrics().get("rewards/margins"), after.metrics().get("rewards/margins"),
                before.result().loss(), after.result().loss());
    }

    private static Map<String, Object> column(ObjectiveResult r) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("dpo_loss", r.result().loss());
        out.putAll(r.metrics());
        return out;
    }
}
