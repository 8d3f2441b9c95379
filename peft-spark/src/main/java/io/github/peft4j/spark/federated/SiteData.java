package io.github.peft4j.spark.federated;

import io.github.peft4j.train.data.TokenizedDataset;
import java.io.Serializable;

/**
 * Loads one site's private training data <em>inside</em> its Spark task, so that the data never
 * passes through the driver: read the tenant's partition of the lake, tokenize, return.
 *
 * <pre>{@code
 * SiteData data = site -> pipeline.prepare(Path.of("/lake/" + site + "/train.jsonl")).train();
 * }</pre>
 */
@FunctionalInterface
public interface SiteData extends Serializable {

    /** @param siteId the site @return its tokenized training data */
    TokenizedDataset load(String siteId);
}
