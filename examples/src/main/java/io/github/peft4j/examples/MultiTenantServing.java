package io.github.peft4j.examples;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.hooks.AdapterRouting;
import io.github.peft4j.lora.LoraConfig;
import io.github.peft4j.models.HfModels;
import io.github.peft4j.models.PretrainedModel;
import io.github.peft4j.models.tokenizer.HfTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One base model in memory, many tenants' adapters on top: every request in a batch names its own
 * adapter (or the base), and an adapter is replaced while the others keep serving. Run from the
 * repository root: {@code DJL_OFFLINE=true OPT_OUT_TRACKING=true mvn -q -pl examples exec:java@multi-tenant}.
 */
public final class MultiTenantServing {

    private MultiTenantServing() {}

    /** @param args [model dir] [work dir for the tenants' adapters] */
    public static void main(String[] args) {
        System.setProperty("ai.djl.offline", "true");
        Path modelDir = Path.of(args.length > 0 ? args[0] : "assets/base-model");
        Path work = Path.of(args.length > 1 ? args[1] : "runs/tenants");
        try (NDManager manager = NDManager.newBaseManager();
                PretrainedModel base = HfModels.load(modelDir, manager)) {
            demo(base, work);
        }
    }

    /** What the demo measured, for its smoke test: last-position logits per row. */
    record Result(float[][] mixed, float[][] alone, float[][] afterSwap, float[][] swappedAlone) {}

    static Result demo(PretrainedModel base, Path work) {
        // Tenants' adapters would come from their training runs; here two are made and saved.
        saveDemoAdapter(base, work.resolve("acme"), 1);
        saveDemoAdapter(base, work.resolve("globex"), 2);
        saveDemoAdapter(base, work.resolve("acme-v2"), 3);

        HfTokenizer tokenizer = base.tokenizer().orElseThrow();
        List<long[]> prompts = List.of(tokenizer.encode("Where is my order?"),
                tokenizer.encode("Can I return a jacket?"), tokenizer.encode("The capital of France is"));
        List<String> routing = List.of("acme", "globex", AdapterRouting.BASE);

        try (PeftModel server = PeftModel.wrap(base.block())) {
            server.loadAdapter(work.resolve("acme"), "acme", false);
            server.loadAdapter(work.resolve("globex"), "globex", false);

            float[][] mixed = lastLogits(server, prompts, routing);             // one batch, three adapters
            float[][] alone = new float[3][];
            for (int row = 0; row < 3; row++) {                                 // the same rows one at a time
                alone[row] = lastLogits(server, List.of(prompts.get(row)), List.of(routing.get(row)))[0];
            }

            server.deleteAdapter("acme");                                       // hot swap: acme ships v2
            server.loadAdapter(work.resolve("acme-v2"), "acme", false);
            float[][] afterSwap = lastLogits(server, prompts, routing);
            float[][] swappedAlone = lastLogits(server, List.of(prompts.get(0)), List.of("acme"));

            System.out.printf("acme row changed by the swap: %s; globex row unchanged: %s%n",
                    !Arrays.equals(mixed[0], afterSwap[0]), Arrays.equals(mixed[1], afterSwap[1]));
            return new Result(mixed, alone, afterSwap, swappedAlone);
        }
    }

    /** Left-pads the prompts into one batch and returns each row's logits at its last token. */
    static float[][] lastLogits(PeftModel model, List<long[]> prompts, List<String> adapterPerRow) {
        int rows = prompts.size();
        int len = prompts.stream().mapToInt(p -> p.length).max().orElseThrow();
        long[] ids = new long[rows * len];
        long[] mask = new long[rows * len];
        for (int r = 0; r < rows; r++) {
            long[] p = prompts.get(r);
            System.arraycopy(p, 0, ids, r * len + len - p.length, p.length);
            Arrays.fill(mask, r * len + len - p.length, (r + 1) * len, 1L);
        }
        try (NDManager m = model.manager().newSubManager()) {
            NDList in = new NDList(m.create(ids, new Shape(rows, len)), m.create(mask, new Shape(rows, len)));
            NDArray logits = model.forward(new ParameterStore(m, false), in, adapterPerRow).head();
            NDArray last = logits.get(new NDIndex(":, -1, :"));
            List<float[]> out = new ArrayList<>();
            for (int r = 0; r < rows; r++) {
                out.add(last.get(r).toFloatArray());
            }
            return out.toArray(float[][]::new);
        }
    }

    /** A LoRA adapter with random (non-zero) B, standing in for a tenant's trained adapter. */
    private static void saveDemoAdapter(PretrainedModel base, Path dir, long seed) {
        ai.djl.engine.Engine.getInstance().setRandomSeed((int) seed);
        LoraConfig config = LoraConfig.builder().r(4).loraAlpha(8).targetModules("q_proj", "v_proj")
                .initLoraWeights(false).build();
        try (PeftModel tenant = PeftModel.create(base.block(), config)) {
            tenant.save(dir);
            tenant.unload();
        }
    }
}
