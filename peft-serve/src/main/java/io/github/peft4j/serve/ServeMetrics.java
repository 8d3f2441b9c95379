package io.github.peft4j.serve;

import io.github.peft4j.serve.engine.Scheduler;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;

/**
 * What {@code /metrics} shows, in Prometheus' text format through Micrometer: per adapter, request
 * counts by outcome ({@code peft4j_requests_total}), latency and time-to-first-token histograms
 * ({@code peft4j_request_latency_seconds_bucket}, {@code peft4j_time_to_first_token_seconds_bucket})
 * and generated tokens; requests cancelled by their client going away
 * ({@code peft4j_cancelled_requests_total}); queue depth, running sequences and resident adapters as gauges.
 *
 * <pre>{@code
 * ServeMetrics metrics = new ServeMetrics(scheduler);
 * metrics.request("support", "ok", 0.120, 0.015, 32);
 * String text = metrics.scrape();
 * }</pre>
 */
public final class ServeMetrics {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

    /** @param scheduler the scheduler whose queue, batch and adapter memory are gauged */
    public ServeMetrics(Scheduler scheduler) {
        Gauge.builder("peft4j_queue_depth", scheduler, Scheduler::waiting)
                .description("requests waiting for a batch slot").register(registry);
        Gauge.builder("peft4j_running_sequences", scheduler, Scheduler::running)
                .description("sequences being decoded").register(registry);
        Gauge.builder("peft4j_resident_adapters", scheduler, s -> s.cache().size())
                .description("adapter versions loaded in the model").register(registry);
        Gauge.builder("peft4j_resident_adapter_bytes", scheduler, s -> s.cache().residentBytes())
                .description("bytes of adapter tensors loaded in the model").register(registry);
        FunctionCounter.builder("peft4j_cancelled_requests", scheduler, Scheduler::cancelledRequests)
                .description("requests ended because their client went away").register(registry);
    }

    /**
     * Records one finished (or refused) request.
     *
     * @param adapter the adapter name, or the base's name
     * @param outcome {@code ok} or the error code
     * @param latencySeconds total time
     * @param ttftSeconds time to first token, negative when none came
     * @param tokens tokens generated
     */
    public void request(String adapter, String outcome, double latencySeconds, double ttftSeconds, int tokens) {
        Counter.builder("peft4j_requests").tag("adapter", adapter).tag("outcome", outcome)
                .description("requests by adapter and outcome").register(registry).increment();
        if (!"ok".equals(outcome)) {
            return;
        }
        Timer.builder("peft4j_request_latency").tag("adapter", adapter).publishPercentileHistogram()
                .description("time from request to last token").register(registry)
                .record(Duration.ofNanos((long) (latencySeconds * 1e9)));
        if (ttftSeconds >= 0) {
            Timer.builder("peft4j_time_to_first_token").tag("adapter", adapter).publishPercentileHistogram()
                    .description("time from request to first token").register(registry)
                    .record(Duration.ofNanos((long) (ttftSeconds * 1e9)));
        }
        Counter.builder("peft4j_generated_tokens").tag("adapter", adapter)
                .description("tokens generated").register(registry).increment(tokens);
    }

    /** @return the metrics in Prometheus' text format */
    public String scrape() {
        return registry.scrape();
    }
}
