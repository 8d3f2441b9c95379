package io.github.peft4j.mkl;

import ai.djl.engine.Engine;
import ai.djl.engine.EngineException;
import ai.djl.engine.EngineProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Not an engine: the earliest point at which a library on the classpath can run code before DJL loads
 * libtorch. DJL's {@link Engine} discovers every {@link EngineProvider} through {@link java.util.ServiceLoader}
 * (creating each one) before any engine loads its native library; this provider's constructor applies
 * {@link MklAmdFix}. Its rank is {@link Integer#MAX_VALUE}, which DJL's default-engine choice never picks,
 * and it is listed in {@link Engine#getAllEngines()} under {@link #NAME}.
 *
 * <pre>{@code
 * // nothing to call: on the classpath, it runs when DJL first touches its engine registry
 * Engine.getInstance();   // PyTorch, with MKL's vector kernels on AMD
 * }</pre>
 */
public final class MklEarlyHook implements EngineProvider {

    /** The name DJL lists this provider under. */
    public static final String NAME = "peft4j-mkl-amd-hook";

    private static final Logger LOG = LoggerFactory.getLogger(MklEarlyHook.class);

    /** Called by {@link java.util.ServiceLoader}; applies the fix and never throws. */
    public MklEarlyHook() {
        try {
            MklAmdFix.apply();
        } catch (RuntimeException | LinkageError e) {
            LOG.debug("MKL vendor fix skipped: {}", e.toString());
        }
    }

    @Override
    public String getEngineName() {
        return NAME;
    }

    @Override
    public int getEngineRank() {
        return Integer.MAX_VALUE;
    }

    /** @throws EngineException always: this provider only hooks DJL's engine discovery */
    @Override
    public Engine getEngine() {
        throw new EngineException(NAME + " is peft4j's start-up hook for MKL on AMD CPUs, not an engine; use "
                + Engine.getDefaultEngineName());
    }
}
