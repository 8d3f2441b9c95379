package io.github.peft4j.spark.curation;

import io.github.peft4j.train.curation.PiiAnonymizer;
import java.io.Serializable;

/**
 * Makes the anonymizer in each partition (anonymizers hold compiled patterns and are not serializable).
 *
 * <pre>{@code
 * PiiRulesFactory rules = PiiAnonymizer::defaults;
 * }</pre>
 */
@FunctionalInterface
public interface PiiRulesFactory extends Serializable {

    /** @return the anonymizer */
    PiiAnonymizer create();
}
