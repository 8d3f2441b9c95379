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
}
