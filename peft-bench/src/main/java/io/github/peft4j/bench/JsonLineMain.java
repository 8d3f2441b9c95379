package io.github.peft4j.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.peft4j.core.PeftException;
import java.io.PrintStream;
import java.util.Map;

/**
 * The {@code main} of the benchmarks that print one JSON line: parse the flags (exit 2 with the
 * message on a bad one), size libtorch's intra-op pool before the engine starts, run, print.
 *
 * <pre>{@code
 * public static void main(String[] args) throws Exception {
 *     JsonLineMain.run(args, BenchOptions::parse, BenchOptions::threads, TrainBench::run);
 * }
 * }</pre>
 */
public final class JsonLineMain {

    /** @param <O> the options */
    @FunctionalInterface
    public interface Parser<O> {
        /** @param args the flags @return the options @throws PeftException on a bad flag */
        O parse(String[] args);
    }

    /** @param <O> the options */
    @FunctionalInterface
    public interface Bench<O> {
        /** @param options the options @param log progress lines @return the figures */
        Map<String, Object> run(O options, PrintStream log) throws Exception;
    }

    private JsonLineMain() {}

    /**
     * @param args the command line
     * @param parser parses it
     * @param threads the intra-op thread count the options ask for
     * @param bench the benchmark
     * @param <O> the options
     * @throws Exception from the benchmark
     */
    public static <O> void run(String[] args, Parser<O> parser, java.util.function.ToIntFunction<O> threads,
            Bench<O> bench) throws Exception {
        O options;
        try {
            options = parser.parse(args);
        } catch (PeftException | NumberFormatException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(2);
            return;
        }
        // read once at engine start-up: the intra-op pool is sized right from the first op
        System.setProperty("ai.djl.pytorch.num_threads", String.valueOf(threads.applyAsInt(options)));
        System.out.println(new ObjectMapper().writeValueAsString(bench.run(options, System.err)));
    }
}
