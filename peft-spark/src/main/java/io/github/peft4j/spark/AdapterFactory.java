package io.github.peft4j.spark;

import io.github.peft4j.core.PeftModel;
import java.io.Serializable;

/**
 * Builds the model every Spark task trains: the base model with its (untrained) adapter. It is
 * shipped to the executors, so it must be serializable and capture only what it needs (a path, a
 * config); each executor JVM calls it once per training run and keeps the model for every task of
 * that run. The adapter's initial values do not matter on executors: the driver's are sent to them.
 *
 * <pre>{@code
 * AdapterFactory factory = () -> PeftModel.create(HfModels.load(dir, NDManager.newBaseManager()).block(),
 *         LoraConfig.builder().r(8).targetModules(List.of("q_proj", "v_proj")).build());
 * }</pre>
 */
@FunctionalInterface
public interface AdapterFactory extends Serializable {

    /** @return a new model whose active adapter is the one to train; the caller closes it */
    PeftModel create();
}
