package io.github.peft4j.spark;

import java.util.function.Function;

/** The all-reduce through one {@code BarrierTaskContext.allGather} of Base64 text per step ({@link Exchange#ALL_GATHER}). */
final class AllGatherExchange implements GradientExchange {

    private final Function<String, String[]> allGather;

    /** @param allGather the barrier's allGather: every rank's message, in rank order */
    AllGatherExchange(Function<String, String[]> allGather) {
        this.allGather = allGather;
    }

    @Override
    public GradientMessage.Reduced allReduce(int step, GradientMessage mine, boolean averageItems) {
        String[] all = allGather.apply(mine.encode());
        GradientMessage[] decoded = new GradientMessage[all.length];
        for (int r = 0; r < all.length; r++) {
            decoded[r] = GradientMessage.decode(all[r]);
        }
        return GradientMessage.reduce(decoded, averageItems);
    }

    @Override
    public void close() {
        // nothing held between steps
    }
}
