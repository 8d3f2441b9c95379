package io.github.peft4j.serve.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.hooks.ForwardContext;
import io.github.peft4j.models.HfModels;
import io.github.peft4j.models.ModelFactory;
import io.github.peft4j.models.PretrainedModel;
import io.github.peft4j.models.config.Gpt2Config;
import io.github.peft4j.models.config.LlamaConfig;
import io.github.peft4j.models.config.ModelConfig;
import io.github.peft4j.models.generation.KvCache;
import io.github.peft4j.models.tokenizer.HfTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** A prompt run in chunks over several engine steps: the same numbers as in one forward, and no stall of the others. */
class ChunkedPrefillTest {

    private static final int[] CHUNKS = {1, 3, 7, Integer.MAX_VALUE};

    @TempDir
    Path tmp;

    static Stream<Arguments> models() {
        return Stream.of(
                Arguments.of("llama GQA", LlamaConfig.tiny().build()),
                Arguments.of("qwen3 q/k norms", LlamaConfig.tiny("qwen3").build()),
                Arguments.of("phi3 fused", LlamaConfig.tiny("phi3").build()),
                Arguments.of("mistral sliding window 4", LlamaConfig.tiny("mistral").slidingWindow(4).build()),
                Arguments.of("gpt2", Gpt2Config.tiny().build()));
    }

    // the model side: a multi-token forward after cached positions extends the cache as the whole prompt does
    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void chunkedForwardsGiveTheWholePromptsLastLogits(String name, ModelConfig config) {
        try (NDManager m = NDManager.newBaseManager(); PretrainedModel model = ModelFactory.create(config, m, 17)) {
            long[] prompt = new long[23];
            for (int i = 0; i < prompt.length; i++) {
                prompt[i] = 1 + (13L * i + 5) % 60;
            }
            float[] whole = lastLogits(model.block(), m, prompt, prompt.length);
            for (int chunk : new int[] {1, 3, 7}) {
                float[] chunked = lastLogits(model.block(), m, prompt, chunk);
                assertEquals(whole.length, chunked.length);
                for (int v = 0; v < whole.length; v++) {
                    assertEquals(whole[v], chunked[v], 1e-5, name + ", chunks of " + chunk + ", logit " + v);
                }
            }
        }
    }

    @Test
    void chunkedCompletionsEqualTheUnchunkedOnesByteForByte() throws Exception {
        try (NDManager m = NDManager.newBaseManager(); PretrainedModel base = HfModels.load(EngineFixtures.BASE, m)) {
            HfTokenizer tokenizer = base.tokenizer().orElseThrow();
            Target lora = EngineFixtures.lora(base, tmp.resolve("tenant"), 3);
            Target plain = Target.base("base-model", "base");
            PeftModel model = PeftModel.wrap(base.block());
            long[] prompt = tokenizer.encode("Where is my order? It should have arrived on Monday, and the tracking"
                    + " page still says that it is waiting at the depot");
            assertTrue(prompt.length > 14, "prompt of " + prompt.length + " tokens");
            Map<String, List<String>> texts = new LinkedHashMap<>();
            AdapterCache cache = EngineFixtures.cache(model, t -> {});
            for (int chunk : CHUNKS) {
                try (Scheduler s = EngineFixtures.scheduler(model, tokenizer, cache, 4, chunk)) {
                    for (Target t : List.of(plain, lora)) {
                        Completion c = EngineFixtures.complete(s, EngineFixtures.request("r" + chunk, t, prompt,
                                EngineFixtures.exactly(12)));
                        assertEquals(12, c.completionTokens());
                        texts.computeIfAbsent(t.version(), k -> new ArrayList<>()).add(c.text());
                    }
                }
            }
            cache.close();
            for (Map.Entry<String, List<String>> e : texts.entrySet()) {
                String unchunked = e.getValue().get(CHUNKS.length - 1);
                for (int i = 0; i < CHUNKS.length - 1; i++) {
                    assertEquals(unchunked, e.getValue().get(i), e.getKey() + " with chunks of " + CHUNKS[i]);
                }
            }
            assertTrue(!texts.get(plain.version()).get(0).equals(texts.get(lora.version()).get(0)),
                    "the adapter changes the text");
            model.unload();
        }
    }

    @Test
    void aRunningRequestKeepsDecodingWhileALongPromptIsPrefilledInChunks() throws Exception {
        try (NDManager m = NDManager.newBaseManager(); PretrainedModel base = HfModels.load(EngineFixtures.BASE, m)) {
            HfTokenizer tokenizer = base.tokenizer().orElseThrow();
            PeftModel model = PeftModel.wrap(base.block());
            Target plain = Target.base("base-model", "base");
            long[] longPrompt = new long[61];
            for (int i = 0; i < longPrompt.length; i++) {
                longPrompt[i] = 5 + (31L * i) % 3000;
            }
            List<EngineStep> steps = new ArrayList<>();
            AdapterCache cache = EngineFixtures.cache(model, t -> {});
            try (Scheduler s = EngineFixtures.scheduler(model, tokenizer, cache, 4, 4)) {
                GenerationRequest shortOne = EngineFixtures.request("short", plain, tokenizer.encode("Hi"),
                        EngineFixtures.exactly(40));
                GenerationRequest longOne = EngineFixtures.request("long", plain, longPrompt, EngineFixtures.exactly(3));
                // the long prompt arrives at the step where the short request first decodes (no sleeps, no timing)
                s.observe(step -> {
                    steps.add(step);
                    if (step.decoded().contains("short") && steps.stream().filter(x -> x.decoded().contains("short")).count() == 1) {
                        s.submit(longOne);
                    }
                });
                s.submit(shortOne);
                assertEquals(3, longOne.result().get(120, java.util.concurrent.TimeUnit.SECONDS).completionTokens());
                assertEquals(40, shortOne.result().get(120, java.util.concurrent.TimeUnit.SECONDS).completionTokens());
                s.observe(null);
            }
            cache.close();
            List<EngineStep> prefillSteps = steps.stream().filter(x -> x.prefilled().containsKey("long")).toList();
            // 61 tokens in chunks of 4: 16 steps, each chunk within the budget, all of them in order
            assertEquals(16, prefillSteps.size(), steps.toString());
            assertEquals(61, prefillSteps.stream().mapToInt(x -> x.prefilled().get("long")).sum());
            assertTrue(prefillSteps.stream().allMatch(x -> x.prefilled().get("long") <= 4), prefillSteps.toString());
            for (EngineStep x : prefillSteps) {
                assertTrue(x.decoded().contains("short"), "step " + x.index() + " stalled the running request: " + x);
            }
            long firstChunk = prefillSteps.get(0).index();
            long lastChunk = prefillSteps.get(prefillSteps.size() - 1).index();
            assertEquals(15, lastChunk - firstChunk, "one chunk per step");
            model.unload();
        }
    }

    /** The last position's logits after running {@code prompt} in forwards of {@code chunk} tokens over one cache. */
    @SuppressWarnings("try")
    private static float[] lastLogits(Block model, NDManager m, long[] prompt, int chunk) {
        try (NDManager session = m.newSubManager(); KvCache cache = new KvCache(session)) {
            ForwardContext ctx = ForwardContext.empty().with(KvCache.KEY, cache);
            ParameterStore ps = new ParameterStore(session, false);
            float[] last = null;
            for (int from = 0; from < prompt.length; from += chunk) {
                long[] ids = Arrays.copyOfRange(prompt, from, Math.min(prompt.length, from + chunk));
                try (NDManager step = session.newSubManager(); ForwardContext.Scope scope = ctx.activate()) {
                    Shape shape = new Shape(1, ids.length);
                    NDArray out = model.forward(ps, new NDList(step.create(ids, shape), step.ones(shape, DataType.INT64)),
                            false, ctx.addTo(null)).head();
                    last = out.get(":, -1, :").toFloatArray();
                }
            }
            assertEquals(prompt.length, cache.length());
            return last;
        }
    }
}
