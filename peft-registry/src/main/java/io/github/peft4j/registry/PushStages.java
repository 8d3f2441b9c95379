package io.github.peft4j.registry;

import java.util.function.Consumer;

/**
 * The named points a push passes, in order, so that a kill test can stop a push at exactly one of
 * them and SIGKILL the process there (a random delay rarely lands inside the short database
 * transaction). Nothing listens outside tests; reaching a point then costs one volatile read.
 *
 * <pre>{@code
 * PushStages.listener = stage -> { if (stage.equals(PushStages.INSERTED)) { blockUntilKilled(); } };
 * }</pre>
 */
final class PushStages {

    /** Every check passed; nothing written yet. */
    static final String CHECKED = "checked";
    /** The canonical config's blob is stored. */
    static final String CONFIG_BLOB = "config-blob";
    /** A blob's temporary file holds its first megabyte (reached while storing and while exporting). */
    static final String BLOB_PARTIAL = "blob-partial";
    /** The weights' blob is stored. */
    static final String WEIGHTS_BLOB = "weights-blob";
    /** The version and audit rows are inserted; the transaction is not committed. */
    static final String INSERTED = "inserted";
    /** The transaction is committed. */
    static final String COMMITTED = "committed";

    /** In push order. */
    static final String[] ALL = {CHECKED, CONFIG_BLOB, BLOB_PARTIAL, WEIGHTS_BLOB, INSERTED, COMMITTED};

    /** Told of each point reached; tests only. */
    static volatile Consumer<String> listener;

    private PushStages() {}

    static void reached(String stage) {
        Consumer<String> l = listener;
        if (l != null) {
            l.accept(stage);
        }
    }
}
