package io.github.peft4j.registry;

/** Child process of the concurrent-writers test: promotes one version to one alias, again and again. */
public final class PromoteLoop {

    private PromoteLoop() {}

    /** @param args location, blob dir or "-", version ref, alias, rounds */
    public static void main(String[] args) {
        AdapterRegistry registry = ChildJvm.open(args[0], args[1]);
        String actor = "promoter-" + VersionRef.parse(args[2]).number();
        for (int i = 0; i < Integer.parseInt(args[4]); i++) {
            registry.promote(args[2], args[3], new PromotionRequest(null, false, "round " + i, actor));
        }
    }
}
