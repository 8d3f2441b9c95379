package io.github.peft4j.spark.federated;

import io.github.peft4j.core.AdapterTensor;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.spark.AdapterFactory;
import io.github.peft4j.spark.EngineLock;
import io.github.peft4j.spark.TensorSnapshot;
import io.github.peft4j.train.PeftTrainer;
import io.github.peft4j.train.TrainResult;
import io.github.peft4j.train.TrainingArguments;
import io.github.peft4j.train.data.TokenizedDataset;
import io.github.peft4j.train.optim.NamedParameter;
import io.github.peft4j.core.files.AtomicDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One round on the sites of a partition: load the site's data in the task, train locally from the
 * global adapter with {@link PeftTrainer} (the JVM's model, under the engine lock), send back only
 * the adapter tensors. A failure is retried up to {@code attempts} times, then reported.
 */
final class SiteTask implements FlatMapFunction<Iterator<String>, SiteUpdate> {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(SiteTask.class);

    private final String runId;
    private final AdapterFactory factory;
    private final SiteData data;
    private final TensorSnapshot global;
    private final String argsJson;
    private final boolean freezeA;
    private final int attempts;

    SiteTask(String runId, AdapterFactory factory, SiteData data, TensorSnapshot global, String argsJson,
            boolean freezeA, int attempts) {
        this.runId = runId;
        this.factory = factory;
        this.data = data;
        this.global = global;
        this.argsJson = argsJson;
        this.freezeA = freezeA;
        this.attempts = attempts;
    }

    @Override
    public Iterator<SiteUpdate> call(Iterator<String> siteIds) {
        List<SiteUpdate> out = new ArrayList<>();
        while (siteIds.hasNext()) {
            out.add(site(siteIds.next()));
        }
        return out.iterator();
    }

    private SiteUpdate site(String siteId) {
        RuntimeException last = null;
        for (int attempt = 1; attempt <= attempts; attempt++) {
            try {
                return train(siteId, attempt);
            } catch (RuntimeException e) {
                last = e;
                LOG.warn("site {} failed (attempt {} of {}): {}", siteId, attempt, attempts, e.toString());
            }
        }
        return new SiteUpdate(siteId, 0, Double.NaN, null, String.valueOf(last), attempts);
    }

    private SiteUpdate train(String siteId, int attempt) {
        TokenizedDataset local = data.load(siteId);
        EngineLock.LOCK.lock();
        Path tmp = null;
        List<NamedParameter> frozen = new ArrayList<>();
        try {
            PeftModel model = SiteModels.forRun(runId, factory);
            List<NamedParameter> tensors = tensors(model);
            global.assignTo(tensors);
            if (freezeA) {
                for (NamedParameter p : tensors) {
                    if (p.name().contains(".lora_A.") && p.parameter().requiresGradient()) {
                        p.parameter().freeze(true);
                        frozen.add(p);
                    }
                }
            }
            tmp = Files.createTempDirectory("peft4j-site-");
            TrainingArguments args = TrainingArguments.fromJson(argsJson).toBuilder().outputDir(tmp).build();
            TrainResult r = PeftTrainer.builder().model(model).args(args).trainDataset(local).build().train();
            return new SiteUpdate(siteId, local.size(), r.finalLoss(), TensorSnapshot.of(tensors), null, attempt);
        } catch (IOException e) {
            throw new IllegalStateException("site " + siteId + ": cannot create a temporary directory", e);
        } finally {
            frozen.forEach(p -> p.parameter().freeze(false));
            EngineLock.LOCK.unlock();
            delete(tmp);
        }
    }

    /** Every tensor of the active adapter (frozen ones too), by in-memory key. */
    static List<NamedParameter> tensors(PeftModel model) {
        List<NamedParameter> out = new ArrayList<>();
        for (AdapterTensor t : model.tensors(model.activeAdapters().get(0))) {
            out.add(new NamedParameter(t.key(), t.parameter(), false));
        }
        return out;
    }

    private static void delete(Path dir) {
        if (dir == null) {
            return;
        }
        try {
            AtomicDirectory.deleteTree(dir);
        } catch (IOException e) {
            LOG.debug("could not remove {}", dir, e);
        }
    }
}
