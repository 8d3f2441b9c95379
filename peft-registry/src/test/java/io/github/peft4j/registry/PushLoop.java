package io.github.peft4j.registry;

import java.nio.file.Path;

/** Child process of the kill test: pushes new adapters until it is killed. */
public final class PushLoop {

    private PushLoop() {}

    /** @param args location, blob dir or "-", a scratch directory, a seed */
    public static void main(String[] args) throws Exception {
        AdapterRegistry registry = ChildJvm.open(args[0], args[1]);
        long seed = Long.parseLong(args[3]);
        System.out.println("ready");
        System.out.flush();
        for (int i = 0; ; i++) {
            Path dir = TestAdapters.write(Path.of(args[2]).resolve("a" + i), 4, seed * 1000 + i, 3 << 20);
            registry.push("support", dir, Lineage.builder().notes("push " + i).build());
        }
    }
}
