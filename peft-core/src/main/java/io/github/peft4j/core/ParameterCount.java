package io.github.peft4j.core;

import ai.djl.nn.Parameter;
import java.util.Collection;
import java.util.Locale;

/**
 * Trainable and total parameter counts, printed as Hugging Face PEFT's
 * {@code print_trainable_parameters} prints them.
 *
 * <pre>{@code
 * ParameterCount count = model.countParameters();
 * System.out.println(count); // trainable params: 3,686,400 || all params: 3,089,625,088 || trainable%: 0.1193
 * }</pre>
 *
 * @param trainable elements in parameters that receive gradients
 * @param all elements in every parameter of the model, adapters included
 */
public record ParameterCount(long trainable, long all) {

    /**
     * @param parameters parameters, each once; uninitialised ones are skipped
     * @return their element counts, all and those that receive gradients
     */
    public static ParameterCount of(Collection<Parameter> parameters) {
        long trainable = 0;
        long all = 0;
        for (Parameter p : parameters) {
            if (!p.isInitialized()) {
                continue;
            }
            long n = p.getArray().size();
            all += n;
            if (p.requiresGradient()) {
                trainable += n;
            }
        }
        return new ParameterCount(trainable, all);
    }

    /** @return trainable as a percentage of all */
    public double trainablePercent() {
        return all == 0 ? 0 : 100.0 * trainable / all;
    }

    /** @return {@code trainable params: N || all params: M || trainable%: P}, as PEFT prints it */
    @Override
    public String toString() {
        return String.format(Locale.ROOT, "trainable params: %,d || all params: %,d || trainable%%: %.4f",
                trainable, all, trainablePercent());
    }
}
