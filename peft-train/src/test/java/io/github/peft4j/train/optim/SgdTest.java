package io.github.peft4j.train.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import java.util.List;
import org.junit.jupiter.api.Test;

class SgdTest {

    @Test
    void momentumAndL2DecayFollowTorch() {
        float[] p0 = {1.0f, -2.0f};
        float[][] grads = {{0.5f, 0.25f}, {-1.0f, 0.5f}, {0.0f, 0.0f}};
        double lr = 0.1;
        double mu = 0.9;
        double wd = 0.01;
        double[] p = {p0[0], p0[1]};
        double[] buf = new double[2];
        try (NDManager m = NDManager.newBaseManager()) {
            Parameter w = GradTestSupport.parameter(m, "w", p0);
            Sgd sgd = Sgd.builder().momentum(mu).weightDecay(wd).build(List.of(new NamedParameter("w", w, true)), m);
            for (int t = 0; t < grads.length; t++) {
                GradTestSupport.setGradients(new Parameter[] {w}, new float[][] {grads[t]});
                sgd.step(lr);
                for (int i = 0; i < 2; i++) {
                    double d = grads[t][i] + wd * p[i];
                    buf[i] = t == 0 ? d : mu * buf[i] + d;
                    p[i] -= lr * buf[i];
                }
                float[] got = GradTestSupport.values(w);
                assertEquals(p[0], got[0], 1e-7);
                assertEquals(p[1], got[1], 1e-7);
            }
        }
    }

    @Test
    void plainSgdIsGradientDescent() {
        try (NDManager m = NDManager.newBaseManager()) {
            Parameter w = GradTestSupport.parameter(m, "w", 3f, 4f);
            Sgd sgd = Sgd.builder().build(List.of(new NamedParameter("w", w, true)), m);
            GradTestSupport.setGradients(new Parameter[] {w}, new float[][] {{-100f, 100f}});
            sgd.step(1.0);
            float[] got = GradTestSupport.values(w);
            assertEquals(103f, got[0], 0f);
            assertEquals(-96f, got[1], 0f);
            assertEquals(0, sgd.stateTensors().size());
        }
    }
}
