package io.github.peft4j.lora.layer;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import io.github.peft4j.core.tuner.ForwardCall;
import io.github.peft4j.core.tuner.Tensors;
import java.util.Optional;

/**
 * PEFT's {@code DoraLinearVariant} / {@code DoraLinearLayer.forward}: with m the magnitude and
 * n = ||W + scaling·BA|| (BA detached, n detached), adds (m/n − 1)·base + (m/n)·B(A(x))·scaling.
 * Without dropout (or in evaluation) "base" is the output so far without the base bias; with
 * dropout it is x_dropped·Wᵀ.
 *
 * <pre>{@code
 * LoraVariant v = new DoraLinearVariant(loraLinear, "default");
 * }</pre>
 */
final class DoraLinearVariant extends DoraVariant {

    private final LoraLinear linear;

    DoraLinearVariant(LoraLinear layer, String adapter) {
        super(layer, adapter);
        this.linear = layer;
    }

    @Override
    public NDArray delta(ForwardCall call, NDArray resultSoFar) {
        LoraSettings s = linear.settings(adapter);
        NDArray x = call.input();
        NDArray a = linear.tensor(call, adapter, linear.nameOfA(adapter));
        NDArray b = linear.tensor(call, adapter, linear.nameOfB(adapter));
        NDArray magnitude = linear.tensor(call, adapter, nameOfMagnitude(adapter));
        NDArray weight = call.value(linear.baseWeight()).toType(x.getDataType(), false);
        NDArray loraWeight = LoraLayer.local(linear.deltaOf(a, b, s.scaling()), x).stopGradient();
        NDArray norm = norm(loraWeight.add(weight)).stopGradient();
        NDArray scale = LoraLayer.local(magnitude.div(norm), x);
        NDArray base;
        NDArray xd;
        if (s.dropout() == 0 || !call.training()) {
            xd = x;
            base = resultSoFar;
            Optional<Parameter> bias = linear.baseBias();
            if (bias.isPresent()) {
                base = base.sub(call.value(bias.get()));
            }
        } else {
            xd = LoraLinear.dropout(x, s, true);
            base = Linear.linear(xd, linear.fanInFanOut() ? weight.transpose() : weight).head();
        }
        NDArray loraResult = Linear.linear(Linear.linear(xd, a).head(), b).head();
        return base.mul(scale.sub(1)).add(loraResult.mul(scale).mul(Tensors.scalar(loraResult, s.scaling())));
    }
}
