package io.github.peft4j.spark;

import io.github.peft4j.core.PeftConfigException;
import java.io.Serializable;
import java.time.Duration;

/**
 * The all-reduce of a data-parallel run, as the driver sends it to the tasks.
 *
 * @param kind how gradients travel
 * @param connectTimeout how long the socket set-up may take after the rendezvous (connect and hello)
 * @param readTimeout how long a rank waits for a peer's frame, or for a peer to take one: it must
 *     cover the slowest rank's step computation
 */
record ExchangeSettings(Exchange kind, Duration connectTimeout, Duration readTimeout) implements Serializable {

    /** The defaults: sockets, 1 minute to connect, 10 minutes per wait. */
    static final ExchangeSettings DEFAULT = new ExchangeSettings(Exchange.SOCKETS, Duration.ofMinutes(1),
            Duration.ofMinutes(10));

    ExchangeSettings {
        if (connectTimeout.isNegative() || connectTimeout.isZero() || readTimeout.isNegative()
                || readTimeout.isZero()) {
            throw new PeftConfigException("exchange timeouts must be positive, got connect "
                    + connectTimeout + ", read " + readTimeout);
        }
    }
}
