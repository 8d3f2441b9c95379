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
 * started to overfit. Points with a non-finite loss are left out. With the learning rates it also
 * draws the training loss smoothed (an exponential moving average, as TensorBoard's slider does)
 * and the learning rate against a second axis on the right.
 *
 * <pre>{@code
 * LossPlot.write(out.resolve("loss.svg"), trainPoints, evalPoints, learningRatePoints);
 * }</pre>
 */
public final class LossPlot {

    private static final int WIDTH = 800;
    private static final int HEIGHT = 450;
    private static final int LEFT = 70;
    private static final int RIGHT = 30;
    private static final int RIGHT_WITH_LR = 80;
    private static final int TOP = 40;
    private static final int BOTTOM = 50;
    private static final String TRAIN_COLOUR = "#1f77b4";
    private static final String EVAL_COLOUR = "#ff7f0e";
    private static final String SMOOTH_COLOUR = "#0b3d66";
    private static final String LR_COLOUR = "#2ca02c";
    private static final String GENERAL_COLOUR = "#d62728";
    /** The weight of the past in the moving average of the smoothed line. */
    static final double SMOOTHING = 0.9;

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
     * @param file where to write (atomically)
     * @param train training loss points
     * @param eval evaluation loss points (may be empty)
     * @param learningRates the learning rate of each step ({@link Point#loss()} holds the rate)
     */
    public static void write(Path file, List<Point> train, List<Point> eval, List<Point> learningRates) {
        AtomicFiles.write(file, svg(train, eval, learningRates).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Writes the chart with a third measured curve: the loss on general text, evaluated beside the
     * domain set, whose rise is what fine-tuning makes the model forget.
     *
     * <pre>{@code
     * LossPlot.write(out.resolve("loss.svg"), train, domainEval, generalEval, learningRates);
     * }</pre>
     *
     * @param file the {@code .svg} file to write
     * @param train training loss points
     * @param eval domain evaluation loss points (may be empty)
     * @param general general-text evaluation loss points (may be empty)
     * @param learningRates the learning rate of each step, drawn against a right-hand axis (may be empty)
     */
    public static void write(Path file, List<Point> train, List<Point> eval, List<Point> general,
            List<Point> learningRates) {
        AtomicFiles.write(file, svg(train, eval, general, learningRates).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * @param train training loss points
     * @param eval domain evaluation loss points
     * @param general general-text evaluation loss points, the document's third {@code <polyline>}
     * @param learningRates the learning rate of each step
     * @return the SVG document
     */
    public static String svg(List<Point> train, List<Point> eval, List<Point> general, List<Point> learningRates) {
        return svg(train, eval, general, learningRates, true);
    }

    /**
     * @param train training loss points
     * @param eval evaluation loss points
     * @return the SVG document: the two curves
     */
    public static String svg(List<Point> train, List<Point> eval) {
        return svg(train, eval, List.of(), List.of(), false);
    }

    /**
     * @param train training loss points
     * @param eval evaluation loss points
     * @param learningRates the learning rate of each step
     * @return the SVG document: both curves, the smoothed training loss and the learning rate
     */
    public static String svg(List<Point> train, List<Point> eval, List<Point> learningRates) {
        return svg(train, eval, List.of(), learningRates, true);
    }

    /**
     * @param points a curve
     * @return its exponential moving average with {@link #SMOOTHING}, bias-corrected as TensorBoard
     *     does so that the first points are not pulled towards 0
     */
    static List<Point> smoothed(List<Point> points) {
        List<Point> out = new ArrayList<>(points.size());
        double average = 0;
        double weight = 0;
        for (Point p : points) {
            average = SMOOTHING * average + (1 - SMOOTHING) * p.loss();
            weight = SMOOTHING * weight + (1 - SMOOTHING);
            out.add(new Point(p.step(), average / weight));
        }
        return out;
    }

    private static String svg(List<Point> train, List<Point> eval, List<Point> general, List<Point> learningRates,
            boolean smooth) {
        List<Point> lr = finite(learningRates);
        int right = lr.isEmpty() ? RIGHT : RIGHT_WITH_LR;
        List<Point> t = finite(train);
        List<Point> e = finite(eval);
        List<Point> g = finite(general);
        List<Point> all = new ArrayList<>(t);
        all.addAll(e);
        all.addAll(g);
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
        for (Point p : lr) {
            xMax = Math.max(xMax, p.step());
        }
        Scale sx = new Scale(xMin, xMax, LEFT, WIDTH - right);
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
                    "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#e0e0e0\"/>%n", LEFT, py, WIDTH - right, py));
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
                LEFT, TOP, WIDTH - LEFT - right, HEIGHT - TOP - BOTTOM));
        sb.append(String.format(Locale.ROOT,
                "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">step</text>%n", (LEFT + WIDTH - right) / 2, HEIGHT - 12));
        sb.append(String.format(Locale.ROOT, "<text x=\"16\" y=\"%d\" text-anchor=\"middle\""
                + " transform=\"rotate(-90 16 %d)\">loss</text>%n", (TOP + HEIGHT - BOTTOM) / 2, (TOP + HEIGHT - BOTTOM) / 2));
        if (!lr.isEmpty()) {
            learningRateAxis(sb, lr, sx, right);
        }
        series(sb, "train", t, sx, sy, TRAIN_COLOUR, false);
        List<Point> smoothedTrain = smooth && t.size() > 2 ? smoothed(t) : List.of();
        path(sb, "train-smoothed", smoothedTrain, sx, sy, SMOOTH_COLOUR, " stroke-width=\"2.2\"");
        series(sb, "eval", e, sx, sy, EVAL_COLOUR, true);
        series(sb, "general", g, sx, sy, GENERAL_COLOUR, true);
        legend(sb, right, !t.isEmpty(), !smoothedTrain.isEmpty(), !e.isEmpty(), !g.isEmpty(), !lr.isEmpty());
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

    private static void legend(StringBuilder sb, int right, boolean train, boolean smoothed, boolean eval,
            boolean general, boolean lr) {
        int x = WIDTH - right - 170;
        int y = TOP + 12;
        String[][] entries = {
            {train ? "training loss" : null, TRAIN_COLOUR},
            {smoothed ? "training loss, smoothed (EMA " + SMOOTHING + ")" : null, SMOOTH_COLOUR},
            {eval ? "eval loss" : null, EVAL_COLOUR},
            {general ? "general-text eval loss" : null, GENERAL_COLOUR},
            {lr ? "learning rate (right axis)" : null, LR_COLOUR}};
        for (String[] entry : entries) {
            if (entry[0] == null) {
                continue;
            }
            sb.append(String.format(Locale.ROOT,
                    "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"/>"
                            + "<text x=\"%d\" y=\"%d\">%s</text>%n",
                    x, y, x + 24, y, entry[1], x + 30, y + 4, entry[0]));
            y += 18;
        }
    }

    /** The learning rate against its own axis on the right, from 0 to its peak. */
    private static void learningRateAxis(StringBuilder sb, List<Point> lr, Scale sx, int right) {
        double peak = lr.stream().mapToDouble(Point::loss).max().orElse(1);
        if (peak <= 0) {
            peak = 1;
        }
        Scale sy = new Scale(0, peak, HEIGHT - BOTTOM, TOP);
        int axisX = WIDTH - right;
        for (double v : new double[] {0, peak / 2, peak}) {
            sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" fill=\"%s\">%s</text>%n",
                    axisX + 6, sy.map(v) + 4, LR_COLOUR, v == 0 ? "0" : String.format(Locale.ROOT, "%.1e", v)));
        }
        int mid = (TOP + HEIGHT - BOTTOM) / 2;
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" fill=\"%s\""
                + " transform=\"rotate(90 %d %d)\">learning rate</text>%n", WIDTH - 14, mid, LR_COLOUR, WIDTH - 14, mid));
        path(sb, "learning-rate", lr, sx, sy, LR_COLOUR, " stroke-width=\"1.2\" stroke-dasharray=\"4 3\"");
    }

    /**
     * A derived curve (smoothed loss, learning rate) as a {@code <path>}, so that the measured
     * curves stay the document's only {@code <polyline>}s, in the order readers of the file rely on.
     */
    private static void path(StringBuilder sb, String name, List<Point> points, Scale sx, Scale sy, String colour,
            String style) {
        if (points.isEmpty()) {
            return;
        }
        sb.append("<path class=\"").append(name).append("\" fill=\"none\" stroke=\"").append(colour).append('"')
                .append(style).append(" d=\"");
        for (int i = 0; i < points.size(); i++) {
            sb.append(String.format(Locale.ROOT, "%s%.1f,%.1f", i == 0 ? "M" : " L", sx.map(points.get(i).step()),
                    sy.map(points.get(i).loss())));
        }
        sb.append("\"/>\n");
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
