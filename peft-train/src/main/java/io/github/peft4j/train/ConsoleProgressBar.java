package io.github.peft4j.train;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;

/**
 * Training progress as text: step, loss, learning rate, tokens per second, last eval loss and ETA.
 * On a terminal it is a one-line bar redrawn in place with a carriage return (a newline when
 * training ends); into a log or a pipe it writes one plain line per update, no {@code \r}, and the
 * final state once.
 *
 * <pre>{@code
 * trainerBuilder.callback(ConsoleProgressBar.forConsole(System.err));
 * // terminal:  [==========>            ]  120/500  loss 2.3104  lr 1.80e-04  5400 tok/s  eval 2.4011  ETA 01:23
 * // log:       step 120/500  loss 2.3104  lr 1.80e-04  5400 tok/s  eval 2.4011  ETA 01:23
 * }</pre>
 */
public final class ConsoleProgressBar implements TrainerCallback {

    private static final int WIDTH = 24;

    private final PrintStream out;
    private final boolean inPlace;
    private int lastLineStep = -1;

    /** @param out where to draw in place (usually {@code System.err} on a terminal) */
    public ConsoleProgressBar(PrintStream out) {
        this(out, true);
    }

    /**
     * @param out where to write
     * @param inPlace redraw one line with {@code \r} (a terminal), or write plain lines (a log)
     */
    public ConsoleProgressBar(PrintStream out, boolean inPlace) {
        this.out = out;
        this.inPlace = inPlace;
    }

    /**
     * @param out where to write
     * @return a bar redrawn in place when the JVM runs on a terminal, plain lines otherwise
     */
    public static ConsoleProgressBar forConsole(PrintStream out) {
        return new ConsoleProgressBar(out, System.console() != null);
    }

    @Override
    public void onProgress(Progress p) {
        if (inPlace) {
            out.print("\r" + render(p));
            if (p.finished()) {
                out.println();
            }
        } else if (p.step() != lastLineStep) {
            // the finished update repeats the last step's numbers: a log shows them once
            out.println(renderLine(p));
            lastLineStep = p.step();
        }
        out.flush();
    }

    /**
     * @param p progress
     * @return the plain log line: the bar's numbers without the bar
     */
    public static String renderLine(Progress p) {
        return String.format(Locale.ROOT, "step %d/%d  %s", p.step(), p.maxSteps(), numbers(p));
    }

    /**
     * @param p progress
     * @return the line, without carriage return
     */
    public static String render(Progress p) {
        int filled = p.maxSteps() <= 0 ? WIDTH : (int) Math.min(WIDTH, (long) WIDTH * p.step() / p.maxSteps());
        StringBuilder bar = new StringBuilder("[");
        for (int i = 0; i < WIDTH; i++) {
            bar.append(i < filled ? '=' : i == filled ? '>' : ' ');
        }
        bar.append(']');
        return String.format(Locale.ROOT, "%s %5d/%d  %s", bar, p.step(), p.maxSteps(), numbers(p));
    }

    private static String numbers(Progress p) {
        String eval = Double.isNaN(p.evalLoss()) ? "" : String.format(Locale.ROOT, "  eval %.4f", p.evalLoss());
        return String.format(Locale.ROOT, "loss %.4f  lr %.2e  %.0f tok/s%s  ETA %s",
                p.loss(), p.learningRate(), p.tokensPerSecond(), eval, format(p.eta()));
    }

    private static String format(Duration d) {
        long s = Math.max(0, d.getSeconds());
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%02d:%02d", s / 60, s % 60);
    }
}
