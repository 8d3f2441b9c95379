package io.github.peft4j.serve.engine;

import java.util.List;
import java.util.Map;

/**
 * What one scheduler step ran, for observers ({@link Scheduler#observe}): the prompt tokens it
 * prefilled per request (a long prompt is split over several steps) and the requests whose rows
 * advanced by one token. The order of steps shows who waited for whom, without timing anything.
 *
 * <pre>{@code
 * scheduler.observe(step -> System.out.println(step.index() + " " + step.prefilled() + " " + step.decoded()));
 * }</pre>
 *
 * @param index the step's number, from 1
 * @param prefilled request id to the prompt tokens run for it in this step, in the order run
 * @param decoded ids of the requests whose rows took one decode step
 */
public record EngineStep(long index, Map<String, Integer> prefilled, List<String> decoded) {

    /** Copies the collections. */
    public EngineStep {
        prefilled = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(prefilled));
        decoded = List.copyOf(decoded);
    }
}
