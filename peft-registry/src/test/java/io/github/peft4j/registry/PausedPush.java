package io.github.peft4j.registry;

import java.nio.file.Path;

/**
 * Child process of {@link PushKillPointsTest}: pushes one new adapter and, on reaching the named
 * {@link PushStages stage}, says so and waits to be killed.
 */
public final class PausedPush {

    private PausedPush() {}

    /** @param args location, blob dir or "-", the adapter directory to write and push, a seed, the stage */
    public static void main(String[] args) throws Exception {
        AdapterRegistry registry = ChildJvm.open(args[0], args[1]);
        String stop = args[4];
        PushStages.listener = stage -> {
            if (stage.equals(stop)) {
                System.out.println(PushKillPointsTest.PAUSED + stage);
                System.out.flush();
                try {
                    Thread.sleep(Long.MAX_VALUE);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        Path dir = TestAdapters.write(Path.of(args[2]), 4, Long.parseLong(args[3]), PushKillPointsTest.WEIGHTS_BYTES);
        registry.push("support", dir, Lineage.builder().notes("killed at " + stop).build());
        System.out.println("finished without reaching " + stop);
    }
}
