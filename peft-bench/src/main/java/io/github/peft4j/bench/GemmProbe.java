package io.github.peft4j.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.peft4j.mkl.MklAmdFix;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * fp32 GEMM throughput through DJL's {@code matMul}, for the shapes of {@code shared/bench/gemm_probe.py}
 * (the peer's probe), so that a gap in the training benchmark can be split into "BLAS" and "the rest".
 * Prints one JSON line: GFLOP/s per {@code m x k x n}, best of 5 windows of about 0.3 s.
 *
 * <pre>{@code
 * java -cp ... io.github.peft4j.bench.GemmProbe 1      # intra-op threads
 * }</pre>
 */
public final class GemmProbe {

    private static final int[][] SHAPES = {
        {1024, 1024, 1024}, {1024, 256, 256}, {1024, 256, 688}, {1024, 688, 256}, {1024, 256, 2048}, {256, 1024, 688},
    };

    private GemmProbe() {}

    /**
     * @param args optional intra-op thread count (default 2, as the peer's probe)
     * @throws Exception on an engine failure
     */
    public static void main(String[] args) throws Exception {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        System.setProperty("ai.djl.pytorch.num_threads", String.valueOf(threads));
        Engine engine = Engine.getEngine("PyTorch");
        JniUtils.setNumThreads(threads);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("libtorch", engine.getVersion());
        out.put("threads", JniUtils.getNumThreads());
        out.put("mkl_amd_fix", MklAmdFix.status().name());
        Map<String, Double> gflops = new LinkedHashMap<>();
        try (NDManager m = NDManager.newBaseManager(engine.getEngineName())) {
            for (int[] s : SHAPES) {
                NDArray a = m.randomNormal(new Shape(s[0], s[1]));
                NDArray b = m.randomNormal(new Shape(s[1], s[2]));
                for (int i = 0; i < 5; i++) {
                    a.matMul(b).close();
                }
                double best = Double.MAX_VALUE;
                for (int w = 0; w < 5; w++) {
                    long t0 = System.nanoTime();
                    int it = 0;
                    while (System.nanoTime() - t0 < 300_000_000L) {
                        a.matMul(b).close();
                        it++;
                    }
                    best = Math.min(best, (System.nanoTime() - t0) / 1e9 / it);
                }
                gflops.put(s[0] + "x" + s[1] + "x" + s[2], Math.round(2.0 * s[0] * s[1] * s[2] / best / 1e8) / 10.0);
            }
        }
        out.put("gflops", gflops);
        out.put("native_libs", ProcessStats.nativeLibraries());
        System.out.println(new ObjectMapper().writeValueAsString(out));
    }
}
