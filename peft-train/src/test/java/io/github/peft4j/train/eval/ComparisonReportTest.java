package io.github.peft4j.train.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.peft4j.core.ParameterCount;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ComparisonReportTest {

    private static ComparisonReport report(Map<String, Object> run) {
        EvalResult before = new EvalResult(3.0, Math.exp(3.0), 0.40, 1000, true);
        EvalResult after = new EvalResult(2.0, Math.exp(2.0), 0.50, 1000, true);
        return new ComparisonReport("t", new ComparisonReport.Measurements(before, after, null, null),
                new ParameterCount(10, 1000), 2048, null, run);
    }

    @Test
    void accuracyChangesAreInPercentagePoints() {
        String md = report(null).toMarkdown();
        // 40% -> 50% is +10 percentage points, not +25%
        assertTrue(md.contains("| domain | token accuracy | 40.00% | 50.00% | +10.00 pp |"), md);
        assertTrue(md.contains("| domain | loss | 3.0000 | 2.0000 | -1.0000 |"), md);
    }

    @Test
    void theRunIsRecordedInJsonAndAsATable() {
        Map<String, Object> run = new LinkedHashMap<>();
        run.put("method", "lora");
        run.put("seed", 7L);
        run.put("training_args", Map.of("weight_decay", 0.01));
        ComparisonReport r = report(run);
        assertEquals(run, r.toMap().get("run"));
        String md = r.toMarkdown();
        assertTrue(md.contains("## Run\n\n| setting | value |\n|---|---|\n| method | `lora` |\n| seed | `7` |\n"
                + "| training_args.weight_decay | `0.01` |\n"), md);
        assertTrue(!report(null).toMarkdown().contains("## Run"));
    }
}
