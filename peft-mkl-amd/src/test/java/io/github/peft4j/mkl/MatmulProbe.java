package io.github.peft4j.mkl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * One fp32 matrix product through libtorch on fixed inputs, the shape of a gate/up projection
 * (1024×256 · 256×688); run in the test JVM and, with the fix opted out, in a fresh child JVM.
 * {@code main(out)} writes the fix's status, MKL's code branch and the product to {@code out}.
 */
final class MatmulProbe {

    static final int M = 1024;
    static final int K = 256;
    static final int N = 688;

    private MatmulProbe() {}

    static float[] left() {
        return uniform(M * K, 1);
    }

    static float[] right() {
        return uniform(K * N, 2);
    }

    private static float[] uniform(int n, long seed) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextFloat() * 2 - 1;
        }
        return v;
    }

    static float[] product() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.create(left(), new Shape(M, K));
            NDArray b = m.create(right(), new Shape(K, N));
            return a.matMul(b).toFloatArray();
        }
    }

    public static void main(String[] args) throws IOException {
        float[] c = product();
        try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(Path.of(args[0])))) {
            out.writeUTF(MklAmdFix.status().name());
            out.writeInt(MklAmdFix.codeBranch());
            out.writeInt(c.length);
            for (float x : c) {
                out.writeFloat(x);
            }
        }
    }
}
