package io.github.peft4j.train;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;

/**
 * A one-line text progress bar for terminals: step, loss, learning rate, tokens per second, last
 * eval loss and ETA, redrawn in place with a carriage return; a newline when training ends.
 *
 * <pre>{@code
 * trainerBuilder.callback(new ConsoleProgressBar(System.err));
 * //  [==========>            ]  120/500  loss 2.3104  lr 1.80e-04  5400 tok/s  eval 2.4011  ETA 01:23
 * }</pre>
 */
public final class ConsoleProgressBar implements TrainerCallback {

    private static final int WIDTH = 24;

    private final PrintStream out;

    /** @param out where to draw (usually {@code System.err}) */
    public ConsoleProgressBar(PrintStream out) {
        this.out = out;
    }

    @Override
    public void onProgress(Progress p) {
        out.print("\r" + render(p));
        if (p.finished()) {
            out.println();
        }
        out.flush();
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
        String eval = Double.isNaN(p.evalLoss()) ? "" : String.format(Locale.ROOT, "  eval %.4f", p.evalLoss());
        return String.format(Locale.ROOT, "%s %5d/%d  loss %.4f  lr %.2e  %.0f tok/s%s  ETA %s",
                bar, p.step(), p.maxSteps(), p.loss(), p.learningRate(), p.tokensPerSecond(), eval, format(p.eta()));
    }

    private static String format(Duration d) {
        long s = Math.max(0, d.getSeconds());
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%02d:%02d", s / 60, s % 60);
    }
}
