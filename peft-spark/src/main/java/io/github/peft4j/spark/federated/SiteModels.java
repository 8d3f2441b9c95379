package io.github.peft4j.spark.federated;

import io.github.peft4j.core.PeftModel;
import io.github.peft4j.spark.AdapterFactory;
import java.util.HashMap;
import java.util.Map;

/** One model per executor JVM per federated run, shared by the sites it hosts in turn. Use under the engine lock. */
final class SiteModels {

    private static final Map<String, PeftModel> RUNS = new HashMap<>();

    private SiteModels() {}

    static PeftModel forRun(String runId, AdapterFactory factory) {
        PeftModel m = RUNS.get(runId);
        if (m == null) {
            RUNS.values().forEach(PeftModel::close);
            RUNS.clear();
            m = factory.create();
            RUNS.put(runId, m);
        }
        return m;
    }
}
