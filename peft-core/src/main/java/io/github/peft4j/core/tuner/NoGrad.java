package io.github.peft4j.core.tuner;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Turns autograd recording off on the current thread until closed, as {@code torch.no_grad()}.
 * PyTorch's grad mode is per thread and only the thread that started the engine begins with it
 * off, so an optimizer update (an in-place change of a leaf that requires grad) or an evaluation
 * run from any other thread needs this. Engines without a grad mode ignore it.
 *
 * <pre>{@code
 * try (NoGrad off = NoGrad.enter(param.getArray().getManager().getEngine())) {
 *     param.getArray().subi(update);
 * }
 * }</pre>
 */
public final class NoGrad implements AutoCloseable {

    private static final String PYTORCH = "PyTorch";

    private final boolean pytorch;
    private final boolean previous;

    private NoGrad(boolean pytorch, boolean previous) {
        this.pytorch = pytorch;
        this.previous = previous;
    }

    /**
     * @param engine the engine the arrays belong to
     * @return the handle restoring the previous mode when closed
     */
    public static NoGrad enter(Engine engine) {
        if (!PYTORCH.equals(engine.getEngineName())) {
            return new NoGrad(false, false);
        }
        boolean previous = JniUtils.isGradMode();
        if (previous) {
            JniUtils.setGradMode(false);
        }
        return new NoGrad(true, previous);
    }

    @Override
    public void close() {
        if (pytorch && previous) {
            JniUtils.setGradMode(true);
        }
    }
}
