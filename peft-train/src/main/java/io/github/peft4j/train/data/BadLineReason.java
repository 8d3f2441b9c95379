package io.github.peft4j.train.data;

/**
 * Why a JSONL line is not a training example; {@link JsonlReader.Result#skippedByReason()} counts
 * skipped lines by these.
 *
 * <pre>{@code
 * result.skippedByReason().forEach((reason, n) -> System.out.println(n + " " + reason.label()));
 * }</pre>
 */
public enum BadLineReason {
    /** a byte sequence that is not UTF-8 */
    INVALID_UTF8("invalid UTF-8"),
    /** text that does not parse as JSON */
    INVALID_JSON("invalid JSON"),
    /** JSON that is not an object (an array, a number...) */
    NOT_AN_OBJECT("not a JSON object"),
    /** an object without the keys of any record shape */
    UNKNOWN_SHAPE("no known record shape"),
    /** a record shape with a key missing */
    MISSING_KEY("missing key"),
    /** a key whose value has the wrong JSON type */
    WRONG_TYPE("wrong value type");

    private final String label;

    BadLineReason(String label) {
        this.label = label;
    }

    /** @return a short label for summaries, e.g. {@code "invalid UTF-8"} */
    public String label() {
        return label;
    }
}
