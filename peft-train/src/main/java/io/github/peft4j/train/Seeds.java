package io.github.peft4j.train;

/** Derived seeds, so that each epoch's order and each step's dropout depend only on (seed, index). */
final class Seeds {

    private Seeds() {}

    /**
     * SplitMix64's finaliser of {@code seed} and {@code index}.
     *
     * @param seed the run's seed
     * @param index an epoch or step
     * @return a well-mixed seed
     */
    static long mix(long seed, long index) {
        long z = seed * 0x9E3779B97F4A7C15L + index + 0x632BE59BD9B4E019L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * @param seed the run's seed
     * @param step the step
     * @return the engine seed of that step (a non-negative int, as DJL takes)
     */
    static int engineSeed(long seed, int step) {
        return (int) (mix(seed ^ 0x5DEECE66DL, step) >>> 33);
    }
}
