package io.github.peft4j.spark.federated;

/** What a round does when a site's task fails after its attempts. */
public enum SiteFailure {
    /** The round fails (nothing is saved for it); the previous global adapter stays. */
    RETRY,
    /** The round aggregates the sites that succeeded and records the dropped ones. */
    DROP
}
