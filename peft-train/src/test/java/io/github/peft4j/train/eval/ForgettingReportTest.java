package io.github.peft4j.train.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.peft4j.core.ParameterCount;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;

/** Forgetting in the report's first lines and the general-text curve of the loss plot. */
class ForgettingReportTest {

    private static EvalResult lm(double loss) {
        return new EvalResult(loss, Math.exp(loss), 0.5, 1000, true);
    }

    private static ComparisonReport report(double generalAfterLoss, double budget) {
        ComparisonReport.Measurements m = new ComparisonReport.Measurements(lm(7.2), lm(2.3), lm(3.0),
                lm(generalAfterLoss));
        return new ComparisonReport("t", m, new ParameterCount(10, 100), 1234, null, null, budget);
    }

    @Test
    void forgettingAboveTheBudgetIsFlaggedInTheFirstLines() {
        ComparisonReport r = report(3.0 + Math.log(10.7), 1.5);
        assertEquals(10.7, r.forgettingRatio(), 1e-9);
        assertTrue(r.forgettingAboveBudget());
        List<String> lines = r.toMarkdown().lines().toList();
        assertEquals("> **WARNING: forgetting above the budget: general-text perplexity is 10.70x the base model's"
                + " (budget 1.50x); see docs/training.md, \"Forgetting\"**", lines.get(2));
        @SuppressWarnings("unchecked")
        Map<String, Object> f = (Map<String, Object>) r.toMap().get("forgetting");
        assertEquals(true, f.get("above_budget"));
        assertEquals(1.5, f.get("budget"));
    }

    @Test
    void forgettingWithinTheBudgetIsStatedWithoutAWarning() {
        ComparisonReport r = report(3.0 + Math.log(1.32), ComparisonReport.DEFAULT_FORGETTING_BUDGET);
        assertFalse(r.forgettingAboveBudget());
        assertEquals("Forgetting within the budget: general-text perplexity is 1.32x the base model's (budget 1.50x)",
                r.toMarkdown().lines().toList().get(2));
        // no general text, no line
        ComparisonReport none = new ComparisonReport("t", new ComparisonReport.Measurements(lm(7), lm(2), null, null),
                new ParameterCount(10, 100), 1, null);
        assertTrue(Double.isNaN(none.forgettingRatio()));
        assertEquals("", none.forgettingLine());
        assertTrue(none.toMarkdown().startsWith("# t\n\n## Evaluation"));
    }

    @Test
    void theGeneralTextLossIsTheThirdCurve() throws Exception {
        List<LossPlot.Point> train = List.of(new LossPlot.Point(1, 4.0), new LossPlot.Point(2, 3.0));
        List<LossPlot.Point> eval = List.of(new LossPlot.Point(2, 3.5));
        List<LossPlot.Point> general = List.of(new LossPlot.Point(1, 3.3), new LossPlot.Point(2, 3.9));
        String svg = LossPlot.svg(train, eval, general, List.of(new LossPlot.Point(1, 1e-3)));
        Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
        var lines = doc.getElementsByTagName("polyline");
        assertEquals(3, lines.getLength());
        assertEquals("general", lines.item(2).getAttributes().getNamedItem("class").getNodeValue());
        assertEquals(2, lines.item(2).getAttributes().getNamedItem("points").getNodeValue().split(" ").length);
        assertTrue(svg.contains(">general-text eval loss</text>"));
    }
}
