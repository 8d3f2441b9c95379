package io.github.peft4j.adapters.bottleneck;

import io.github.peft4j.core.PeftConfigException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * How several bottleneck adapters combine at each adapted module, after AdapterHub's composition
 * blocks. With {@code f_a(h)} the output of adapter {@code a} on the module output {@code h}
 * ({@code h + s·up(act(down(h)))}, or with the sub-block input in place of the inner {@code h}
 * for a parallel adapter):
 * <ul>
 *   <li>{@link Stack}{@code (a, b)} = {@code f_b(f_a(h))}, the adapters in sequence;
 *   <li>{@link Average}{@code (a, b; w)} = {@code w_a·f_a(h) + w_b·f_b(h)}, the weighted mean of
 *       the adapters' outputs (weights normalised to sum 1 unless asked otherwise).
 * </ul>
 * Blocks nest. An adapter a module does not hold acts as the identity there. Without an explicit
 * composition, the active adapters form a {@link Stack} in activation order, as AdapterHub
 * treats a list of active adapters. (AdapterHub 1.2 computes Average as
 * {@code mean(w_i·f_i)}, dividing once more by the number of adapters, so its average of
 * untrained adapters is not the base model; peft4j computes the weighted mean the docs describe.)
 *
 * <pre>{@code
 * Bottlenecks.setComposition(model, Composition.stack("language", "task"));
 * Bottlenecks.setComposition(model, Composition.average(List.of("a", "b"), 0.7, 0.3));
 * Bottlenecks.setComposition(model, Composition.stack(Composition.adapter("lang"),
 *         Composition.average(List.of("t1", "t2"), 0.5, 0.5)));
 * }</pre>
 */
public sealed interface Composition permits Composition.Single, Composition.Stack, Composition.Average {

    /** @return the adapters named anywhere in this composition, in order of first appearance */
    default List<String> adapterNames() {
        Set<String> out = new LinkedHashSet<>();
        collect(this, out);
        return List.copyOf(out);
    }

    private static void collect(Composition c, Set<String> out) {
        if (c instanceof Single s) {
            out.add(s.name());
        } else if (c instanceof Stack s) {
            s.children().forEach(child -> collect(child, out));
        } else if (c instanceof Average a) {
            a.children().forEach(child -> collect(child, out));
        }
    }

    /**
     * One adapter.
     *
     * @param name the adapter
     */
    record Single(String name) implements Composition {
        /** @param name the adapter */
        public Single {
            if (name == null || name.isEmpty()) {
                throw new PeftConfigException("a composition names an adapter with an empty name");
            }
        }
    }

    /**
     * Adapters applied one after the other.
     *
     * @param children the adapters or blocks, first applied first
     */
    record Stack(List<Composition> children) implements Composition {
        /** @param children the adapters or blocks, first applied first */
        public Stack {
            children = List.copyOf(children);
            if (children.isEmpty()) {
                throw new PeftConfigException("Stack needs at least one adapter");
            }
        }
    }

    /**
     * The weighted sum of the children's outputs.
     *
     * @param children the adapters or blocks
     * @param weights one weight per child, as used (already normalised if requested)
     */
    record Average(List<Composition> children, List<Double> weights) implements Composition {
        /**
         * @param children the adapters or blocks
         * @param weights one weight per child
         */
        public Average {
            children = List.copyOf(children);
            weights = List.copyOf(weights);
            if (children.isEmpty()) {
                throw new PeftConfigException("Average needs at least one adapter");
            }
            if (weights.size() != children.size()) {
                throw new PeftConfigException("Average of " + children.size() + " adapters got " + weights.size()
                        + " weights; give one weight per adapter");
            }
            if (weights.stream().anyMatch(w -> w == null || !Double.isFinite(w))) {
                throw new PeftConfigException("Average weights must be finite numbers, got " + weights);
            }
        }
    }

    /**
     * @param name an adapter
     * @return the adapter as a composition leaf
     */
    static Composition adapter(String name) {
        return new Single(name);
    }

    /**
     * @param names adapters applied in this order
     * @return AdapterHub's {@code Stack(a, b, ...)}
     */
    static Composition stack(String... names) {
        return new Stack(Arrays.stream(names).map(Composition::adapter).toList());
    }

    /**
     * @param children adapters or blocks applied in this order
     * @return a stack of blocks
     */
    static Composition stack(Composition... children) {
        return new Stack(List.of(children));
    }

    /**
     * @param names adapters averaged with equal weights
     * @return AdapterHub's {@code Average(a, b, ...)}
     */
    static Composition average(String... names) {
        double[] weights = new double[names.length];
        Arrays.fill(weights, 1.0);
        return average(Arrays.stream(names).map(Composition::adapter).toList(), weights, true);
    }

    /**
     * @param names adapters
     * @param weights their weights, normalised to sum 1
     * @return AdapterHub's {@code Average(a, b, weights=[...])}
     */
    static Composition average(List<String> names, double... weights) {
        return average(names.stream().map(Composition::adapter).toList(), weights, true);
    }

    /**
     * @param children adapters or blocks
     * @param weights their weights
     * @param normalize whether to divide the weights by their sum (AdapterHub's {@code normalize_weights})
     * @return the average
     */
    static Composition average(List<? extends Composition> children, double[] weights, boolean normalize) {
        double sum = Arrays.stream(weights).sum();
        if (normalize && sum == 0) {
            throw new PeftConfigException("Average weights " + Arrays.toString(weights) + " sum to 0 and cannot be normalised");
        }
        List<Double> used = new ArrayList<>();
        for (double w : weights) {
            used.add(normalize ? w / sum : w);
        }
        return new Average(new ArrayList<>(children), used);
    }
}
