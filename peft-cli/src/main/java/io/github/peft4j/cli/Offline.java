package io.github.peft4j.cli;

/**
 * peft4j never calls home: DJL and the tokenizer stay offline. The environment variables
 * ({@code DJL_OFFLINE}, {@code OPT_OUT_TRACKING}) cannot be set from Java, so the launcher exports
 * them; the system property is set here as well, before any engine class loads.
 */
final class Offline {

    private Offline() {}

    static void enforce() {
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("DJL_DISABLE_PROGRESS_BAR", "true");
    }

    /**
     * Sets the engine's thread count; must run before the engine starts.
     *
     * @param threads the intra-op thread count, 0 to keep the engine's default
     */
    static void threads(int threads) {
        if (threads > 0) {
            System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
            System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        }
    }
}
