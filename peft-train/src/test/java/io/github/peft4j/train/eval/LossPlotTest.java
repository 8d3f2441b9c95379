package io.github.peft4j.train.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;

class LossPlotTest {

    @Test
    void writesWellFormedSvgWithOnePointPerFiniteValue() throws Exception {
        List<LossPlot.Point> train = List.of(new LossPlot.Point(1, 3.0), new LossPlot.Point(2, Double.NaN),
                new LossPlot.Point(3, 2.0), new LossPlot.Point(4, 1.5));
        List<LossPlot.Point> eval = List.of(new LossPlot.Point(2, 2.8), new LossPlot.Point(4, 2.1));
        String svg = LossPlot.svg(train, eval);
        Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
        assertEquals("svg", doc.getDocumentElement().getTagName());
        var lines = doc.getElementsByTagName("polyline");
        assertEquals(2, lines.getLength());
        String[] trainPoints = lines.item(0).getAttributes().getNamedItem("points").getNodeValue().split(" ");
        assertEquals(3, trainPoints.length);
        // lower loss is drawn higher up: y grows downwards in SVG
        double y1 = Double.parseDouble(trainPoints[0].split(",")[1]);
        double y4 = Double.parseDouble(trainPoints[2].split(",")[1]);
        assertTrue(y4 > y1);
        assertEquals(2, doc.getElementsByTagName("circle").getLength());
        assertTrue(svg.contains("training loss") && svg.contains("eval loss"));
    }

    @Test
    void ticksAreRound() {
        assertArrayEquals(new double[] {1.0, 1.5, 2.0, 2.5, 3.0}, LossPlot.ticks(1.2, 2.9), 1e-12);
        assertArrayEquals(new double[] {0, 20, 40, 60, 80, 100}, LossPlot.ticks(0, 100), 1e-12);
        // an empty plot still renders
        assertTrue(LossPlot.svg(List.of(), List.of()).startsWith("<svg"));
    }

    @Test
    void withLearningRatesItAddsTheSmoothedLossTheRateAxisAndLabels() throws Exception {
        List<LossPlot.Point> train = List.of(new LossPlot.Point(1, 4.0), new LossPlot.Point(2, 2.0),
                new LossPlot.Point(3, 3.0), new LossPlot.Point(4, 1.0));
        List<LossPlot.Point> rates = List.of(new LossPlot.Point(1, 0.0), new LossPlot.Point(2, 1e-3),
                new LossPlot.Point(3, 5e-4), new LossPlot.Point(4, 0.0));
        String svg = LossPlot.svg(train, List.of(new LossPlot.Point(4, 2.5)), rates);
        Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
        // the measured curves stay the only polylines; the derived ones are paths
        assertEquals(List.of("train", "eval"), classes(doc, "polyline"));
        assertEquals(List.of("learning-rate", "train-smoothed"), classes(doc, "path"));
        // the rate's peak sits at the top of the plot area (y = 40), 0 at its bottom (y = 400)
        String[] ratePoints = doc.getElementsByTagName("path").item(0).getAttributes().getNamedItem("d").getNodeValue()
                .split(" L");
        assertEquals(400.0, Double.parseDouble(ratePoints[0].split(",")[1]), 1e-9);
        assertEquals(40.0, Double.parseDouble(ratePoints[1].split(",")[1]), 1e-9);
        assertTrue(svg.contains(">learning rate</text>") && svg.contains(">loss</text>") && svg.contains(">step</text>"),
                svg);
        assertTrue(svg.contains(">1.0e-03</text>"), svg);
        assertTrue(svg.contains("training loss, smoothed (EMA 0.9)"), svg);

        // bias-corrected EMA: 4, then (0.09*4 + 0.1*2) / 0.19, ...
        List<LossPlot.Point> s = LossPlot.smoothed(train);
        assertEquals(4.0, s.get(0).loss(), 1e-12);
        assertEquals((0.09 * 4 + 0.1 * 2) / 0.19, s.get(1).loss(), 1e-12);
        assertEquals(4, s.get(3).step());
    }

    private static List<String> classes(Document doc, String tag) {
        var nodes = doc.getElementsByTagName(tag);
        List<String> classes = new java.util.ArrayList<>();
        for (int i = 0; i < nodes.getLength(); i++) {
            classes.add(nodes.item(i).getAttributes().getNamedItem("class").getNodeValue());
        }
        return classes;
    }
}
