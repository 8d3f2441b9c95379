package io.github.peft4j.spark.federated;

import io.github.peft4j.spark.TensorSnapshot;
import java.io.Serializable;

/**
 * What one site sends back after a round: only its adapter tensors, never data.
 *
 * @param siteId the site
 * @param examples how many training examples it has (FedAvg's weight)
 * @param loss its last local training loss
 * @param adapter its adapter after the local steps, or null when it failed
 * @param error why it failed, or null
 * @param attempts how many times it was tried
 */
public record SiteUpdate(String siteId, int examples, double loss, TensorSnapshot adapter, String error,
        int attempts) implements Serializable {

    /** @return whether the site produced an update */
    public boolean succeeded() {
        return adapter != null;
    }
}
