package io.github.peft4j.review;

/**
 * One model whose outputs a sheet shows: {@code base} (the base model alone), {@code candidate}
 * (the adapter under review) and, for an A/B review, {@code baseline} (the adapter it must beat).
 *
 * <pre>{@code
 * new ReviewedSystem(ReviewedSystem.CANDIDATE, "support:3", AdapterFingerprint.of(dir).value());
 * }</pre>
 *
 * @param name {@code base}, {@code candidate} or {@code baseline}
 * @param source where it came from: a registry reference, a directory, the base model's path
 * @param fingerprint the adapter fingerprint, or {@code null} for the base model
 */
public record ReviewedSystem(String name, String source, String fingerprint) {

    /** The base model with no adapter. */
    public static final String BASE = "base";
    /** The adapter under review (the one a promotion gate asks about). */
    public static final String CANDIDATE = "candidate";
    /** The adapter the candidate is compared with in an A/B review. */
    public static final String BASELINE = "baseline";
}
