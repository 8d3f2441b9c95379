package io.github.peft4j.spark;

import io.github.peft4j.core.AdapterTensor;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.train.optim.DecayRule;
import io.github.peft4j.train.optim.NamedParameter;
import java.util.ArrayList;
import java.util.List;

/** The tensors a trainer trains: those of the active adapters that require a gradient, named as PeftTrainer names them. */
final class TrainableTensors {

    private TrainableTensors() {}

    static List<NamedParameter> of(PeftModel model, DecayRule decay) {
        List<NamedParameter> out = new ArrayList<>();
        for (String name : model.activeAdapters()) {
            for (AdapterTensor t : model.tensors(name)) {
                if (t.parameter().requiresGradient()) {
                    out.add(new NamedParameter(t.key(), t.parameter(), decay.decays(t.key())));
                }
            }
        }
        if (out.isEmpty()) {
            throw new PeftConfigException("the model has no trainable adapter tensors; adapters: "
                    + model.adapterNames() + ", active: " + model.activeAdapters());
        }
        return out;
    }
}
