package io.github.peft4j.train.eval;

import io.github.peft4j.core.files.AtomicFiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A small, dependency-free SVG line chart of training and evaluation loss against the step, written
 * at the end of a run so that a user can see at a glance whether the model learned and when it
 * started to overfit. Points with a non-finite loss are left out.
 *
 * <pre>{@code
 * LossPlot.write(out.resolve("loss.svg"), List.of(new LossPlot.Point(1, 2.3), ...), evalPoints);
 * }</pre>
 */
public final class LossPlot {

    private static final int WIDTH = 800;
    private static final int HEIGHT = 450;
    private static final int LEFT = 70;
    private static final int RIGHT = 30;
    private static final int TOP = 40;
    private static final int BOTTOM = 50;
    private static final String TRAIN_COLOUR = "#1f77b4";
    private static final String EVAL_COLOUR = "#ff7f0e";

    private LossPlot() {}

    /**
     * @param step the optimizer step
     * @param loss the loss at that step
     */
    public record Point(double step, double loss) {}

    /**
     * @param file where to write (atomically)
     * @param train training loss points
     * @param eval evaluation loss points (may be empty)
     */
    public static void write(Path file, List<Point> train, List<Point> eval) {
        AtomicFiles.write(file, svg(train, eval).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * @param train training loss points
     * @param eval evaluation loss points
     * @return the SVG document
     */
    public static String svg(List<Point> train, List<Point> eval) {
        List<Point> t = finite(train);
        List<Point> e = finite(eval);
        List<Point> all = new ArrayList<>(t);
        all.addAll(e);
        double xMin = 0;
        double xMax = all.stream().mapToDouble(Point::step).max().orElse(1);
        double yMin = all.stream().mapToDouble(Point::loss).min().orElse(0);
        double yMax = all.stream().mapToDouble(Point::loss).max().orElse(1);
        if (xMax <= xMin) {
            xMax = xMin + 1;
        }
        if (yMax - yMin < 1e-12) {
            yMin -= 0.5;
            yMax += 0.5;
        }
        double[] yTicks = ticks(yMin, yMax);
        double[] xTicks = ticks(xMin, xMax);
        yMin = Math.min(yMin, yTicks[0]);
        yMax = Math.max(yMax, yTicks[yTicks.length - 1]);
        xMax = Math.max(xMax, xTicks[xTicks.length - 1]);
        Scale sx = new Scale(xMin, xMax, LEFT, WIDTH - RIGHT);
        Scale sy = new Scale(yMin, yMax, HEIGHT - BOTTOM, TOP);

        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\""
                        + " font-family=\"sans-serif\" font-size=\"12\">%n", WIDTH, HEIGHT, WIDTH, HEIGHT));
        sb.append("<title>Training and evaluation loss</title>\n");
        sb.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", WIDTH, HEIGHT));
        sb.append(String.format(Locale.ROOT,
                "<text x=\"%d\" y=\"24\" font-size=\"15\" text-anchor=\"middle\">Loss</text>%n", WIDTH / 2));
        for (double y : yTicks) {
            double py = sy.map(y);
            sb.append(String.format(Locale.ROOT,
                    "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#e0e0e0\"/>%n", LEFT, py, WIDTH - RIGHT, py));
            sb.append(String.format(Locale.ROOT,
                    "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n", LEFT - 6, py + 4, label(y)));
        }
        for (double x : xTicks) {
            double px = sx.map(x);
            sb.append(String.format(Locale.ROOT,
                    "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#e0e0e0\"/>%n", px, TOP, px, HEIGHT - BOTTOM));
            sb.append(String.format(Locale.ROOT,
                    "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n", px, HEIGHT - BOTTOM + 18, label(x)));
        }
        sb.append(String.format(Locale.ROOT,
                "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#333\"/>%n",
                LEFT, TOP, WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM));
        sb.append(String.format(Locale.ROOT,
                "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">step</text>%n", (LEFT + WIDTH - RIGHT) / 2, HEIGHT - 12));
        series(sb, "train", t, sx, sy, TRAIN_COLOUR, false);
        series(sb, "eval", e, sx, sy, EVAL_COLOUR, true);
        legend(sb, !t.isEmpty(), !e.isEmpty());
        sb.append("</svg>\n");
        return sb.toString();
    }

    private static void series(StringBuilder sb, String name, List<Point> points, Scale sx, Scale sy, String colour,
            boolean markers) {
        if (points.isEmpty()) {
            return;
        }
        sb.append("<polyline class=\"").append(name).append("\" fill=\"none\" stroke=\"").append(colour)
                .append("\" stroke-width=\"1.8\" points=\"");
        for (int i = 0; i < points.size(); i++) {
            Point p = points.get(i);
            sb.append(String.format(Locale.ROOT, "%s%.1f,%.1f", i == 0 ? "" : " ", sx.map(p.step()), sy.map(p.loss())));
        }
        sb.append("\"/>\n");
        if (markers || points.size() == 1) {
            for (Point p : points) {
                sb.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>%n",
                        sx.map(p.step()), sy.map(p.loss()), colour));
            }
        }
    }

    private static void legend(StringBuilder sb, boolean train, boolean eval) {
        int x = WIDTH - RIGHT - 130;
        int y = TOP + 12;
        if (train) {
            sb.append(String.format(Locale.ROOT,
                    "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"/>"
                            + "<text x=\"%d\" y=\"%d\">training loss</text>%n",
                    x, y, x + 24, y, TRAIN_COLOUR, x + 30, y + 4));
            y += 18;
        }
        if (eval) {
            sb.append(String.format(Locale.ROOT,
                    "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"/>"
                            + "<text x=\"%d\" y=\"%d\">eval loss</text>%n",
                    x, y, x + 24, y, EVAL_COLOUR, x + 30, y + 4));
        }
    }

    private static List<Point> finite(List<Point> points) {
        return points.stream().filter(p -> Double.isFinite(p.step()) && Double.isFinite(p.loss())).toList();
    }

    /** About five round tick values covering [lo, hi]. */
    static double[] ticks(double lo, double hi) {
        double raw = (hi - lo) / 5;
        double magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
        double step = magnitude;
        for (double m : new double[] {1, 2, 2.5, 5, 10}) {
            if (m * magnitude >= raw) {
                step = m * magnitude;
                break;
            }
        }
        double start = Math.floor(lo / step) * step;
        double end = Math.ceil(hi / step) * step;
        int n = (int) Math.round((end - start) / step) + 1;
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = start + i * step;
        }
        return out;
    }

    private static String label(double v) {
        if (Math.abs(v - Math.rint(v)) < 1e-9) {
            return String.format(Locale.ROOT, "%d", (long) Math.rint(v));
        }
        String s = String.format(Locale.ROOT, "%.4f", v);
        return s.replaceAll("0+$", "").replaceAll("\\.$", "");
    }

    private record Scale(double from, double to, double pixelFrom, double pixelTo) {
        double map(double v) {
            return pixelFrom + (v - from) / (to - from) * (pixelTo - pixelFrom);
        }
    }
}
