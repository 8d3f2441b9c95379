package io.github.peft4j.core.targeting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.peft4j.core.PeftConfigException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class TargetMatcherTest {

    /** A two-layer Llama, as named_modules() lists it (root omitted). */
    private static final List<String> LLAMA = llama(2);

    private static List<String> llama(int layers) {
        List<String> paths = new ArrayList<>(List.of("model", "model.embed_tokens", "model.layers"));
        for (int i = 0; i < layers; i++) {
            String l = "model.layers." + i;
            paths.addAll(List.of(l, l + ".self_attn", l + ".self_attn.q_proj", l + ".self_attn.k_proj",
                    l + ".self_attn.v_proj", l + ".self_attn.o_proj", l + ".mlp", l + ".mlp.gate_proj",
                    l + ".mlp.up_proj", l + ".mlp.down_proj", l + ".mlp.act_fn", l + ".input_layernorm",
                    l + ".post_attention_layernorm"));
        }
        paths.addAll(List.of("model.norm", "lm_head"));
        return paths;
    }

    private static ModuleKind llamaKind(String path) {
        if (path.equals("lm_head")) {
            return ModuleKind.OUTPUT_HEAD_LINEAR;
        }
        if (path.endsWith("embed_tokens")) {
            return ModuleKind.EMBEDDING;
        }
        return path.endsWith("_proj") ? ModuleKind.LINEAR : ModuleKind.OTHER;
    }

    private static TargetMatcher.Builder targets(TargetModules t) {
        return TargetMatcher.builder().targets(t);
    }

    // --- select ---

    @Test
    void selectKeepsInputOrder() {
        List<String> got = targets(TargetModules.names("v_proj", "q_proj")).build().select(LLAMA, null);
        assertEquals(List.of("model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj",
                "model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj"), got);
    }

    @Test
    void selectAllLinearTakesEveryProjectionButTheHead() {
        TargetMatcher m = targets(TargetModules.allLinear()).build();
        assertTrue(m.requiresModuleKinds());
        List<String> got = m.select(LLAMA, TargetMatcherTest::llamaKind);
        assertEquals(14, got.size());
        assertFalse(got.contains("lm_head"));
        assertFalse(got.contains("model.embed_tokens"));
        assertTrue(got.contains("model.layers.1.mlp.down_proj"));
        assertThrows(NullPointerException.class, () -> m.select(LLAMA, null));
        assertThrows(NullPointerException.class, () -> m.matches("lm_head", null));
    }

    @Test
    void selectWithLayersAndExclude() {
        List<String> got = targets(TargetModules.names("q_proj", "v_proj"))
                .exclude(TargetModules.names("v_proj"))
                .layersToTransform(1)
                .layersPattern("layers")
                .build()
                .select(LLAMA, null);
        assertEquals(List.of("model.layers.1.self_attn.q_proj"), got);
    }

    @Test
    void selectSkipsTheRootModule() {
        List<String> got = targets(TargetModules.regex(".*")).build().select(List.of("", "lm_head"), null);
        assertEquals(List.of("lm_head"), got);
    }

    @Test
    void noMatchListsExistingPaths() {
        TargetMatcher m = targets(TargetModules.names("query", "value")).build();
        PeftConfigException e = assertThrows(PeftConfigException.class, () -> m.select(LLAMA, null));
        String msg = e.getMessage();
        assertTrue(msg.contains("Target modules [\"query\", \"value\"] not found in the base model"), msg);
        assertTrue(msg.contains("The base model has 31 module paths: model, model.embed_tokens,"), msg);
        assertTrue(msg.contains("model.layers.1.self_attn.q_proj"), msg);
        assertTrue(msg.endsWith("model.norm, lm_head."), msg);
        assertFalse(msg.contains("exclude"), msg);
    }

    @Test
    void noMatchMentionsLayerFields() {
        TargetMatcher m = targets(TargetModules.names("q_proj")).layersToTransform(5).layersPattern("layers").build();
        String msg = assertThrows(PeftConfigException.class, () -> m.select(LLAMA, null)).getMessage();
        assertTrue(msg.contains("not found"), msg);
        assertTrue(msg.contains("layers_to_transform [5]"), msg);
        assertTrue(msg.contains("layers_pattern [layers]"), msg);
    }

    @Test
    void noMatchInAHugeModelIsTruncatedButCounted() {
        List<String> big = llama(200);
        TargetMatcher m = targets(TargetModules.names("c_attn")).build();
        String msg = assertThrows(PeftConfigException.class, () -> m.select(big, null)).getMessage();
        assertTrue(msg.contains("The base model has 2605 module paths: "), msg);
        assertTrue(msg.contains(", ... (2555 more)."), msg);
        assertTrue(msg.contains("Distinct module names ("), msg);
        assertTrue(msg.contains("q_proj, k_proj, v_proj, o_proj"), msg);
        assertFalse(msg.contains("model.layers.199.mlp.down_proj"), msg);
        assertTrue(msg.length() < 6000, () -> "message too long: " + msg.length());
    }

    @Test
    void everythingExcludedSaysSo() {
        TargetMatcher m = targets(TargetModules.regex("model[.]layers[.]0[.].*"))
                .exclude(TargetModules.regex(".*"))
                .build();
        String msg = assertThrows(PeftConfigException.class, () -> m.select(LLAMA, null)).getMessage();
        assertTrue(msg.startsWith("All modules were excluded"), msg);
        assertTrue(msg.contains("not found"), msg);
        assertTrue(msg.contains("exclude_modules \".*\""), msg);
        assertTrue(msg.contains("31 module paths"), msg);
    }

    @Test
    void exclusionOfEveryTargetIsNamed() {
        TargetMatcher m = targets(TargetModules.names("q_proj"))
                .exclude(TargetModules.names("self_attn.q_proj"))
                .modulesToSave(List.of("lm_head"))
                .build();
        String msg = assertThrows(PeftConfigException.class, () -> m.select(LLAMA, null)).getMessage();
        assertTrue(msg.startsWith("No modules were targeted for adaptation"), msg);
        assertTrue(msg.contains("not found among the modules left after exclusion (3 excluded)"), msg);
        assertTrue(msg.contains("exclude_modules [\"self_attn.q_proj\"]"), msg);
        assertTrue(msg.contains("modules_to_save [lm_head]"), msg);
    }

    @Test
    void emptyTargetListAndEmptyModel() {
        String msg = assertThrows(PeftConfigException.class,
                () -> targets(TargetModules.names(List.of())).build().select(LLAMA, null)).getMessage();
        assertTrue(msg.contains("target_modules is an empty list"), msg);
        msg = assertThrows(PeftConfigException.class,
                () -> targets(TargetModules.names("q_proj")).build().select(List.of(), null)).getMessage();
        assertTrue(msg.contains("0 module paths"), msg);
    }

    @Test
    void decideSeparatesExcludedFromUntargeted() {
        TargetMatcher m = targets(TargetModules.names("q_proj", "classifier"))
                .exclude(TargetModules.regex(".*layers[.]1[.].*"))
                .modulesToSave(List.of("classifier"))
                .build();
        assertEquals(TargetMatcher.Decision.TARGETED, m.decide("model.layers.0.self_attn.q_proj", null));
        assertEquals(TargetMatcher.Decision.EXCLUDED, m.decide("model.layers.1.self_attn.q_proj", null));
        assertEquals(TargetMatcher.Decision.EXCLUDED, m.decide("classifier", null));
        assertEquals(TargetMatcher.Decision.NOT_TARGETED, m.decide("model.layers.0.self_attn.k_proj", null));
    }

    // --- builder validation, as LoraConfig.__post_init__ ---

    @Test
    void targetsAreRequired() {
        PeftConfigException e = assertThrows(PeftConfigException.class, () -> TargetMatcher.builder().build());
        assertTrue(e.getMessage().contains("target_modules must be set"), e.getMessage());
    }

    @Test
    void regexTargetsForbidLayerFields() {
        String msg = assertThrows(PeftConfigException.class,
                () -> targets(TargetModules.regex(".*q_proj")).layersToTransform(0).build()).getMessage();
        assertTrue(msg.contains("layers_to_transform") && msg.contains("target_modules"), msg);
        msg = assertThrows(PeftConfigException.class,
                () -> targets(TargetModules.regex(".*q_proj")).layersPattern("layers").build()).getMessage();
        assertTrue(msg.contains("layers_pattern") && msg.contains("target_modules"), msg);
        // PEFT tests "is not None", so even empty lists are refused with a str target.
        assertThrows(PeftConfigException.class,
                () -> targets(TargetModules.regex(".*q_proj")).layersToTransform(List.of()).build());
        assertThrows(PeftConfigException.class,
                () -> targets(TargetModules.regex(".*q_proj")).layersPattern(List.of()).build());
    }

    @Test
    void allLinearIsAStrAndForbidsLayerFieldsToo() {
        String msg = assertThrows(PeftConfigException.class,
                () -> targets(TargetModules.allLinear()).layersToTransform(0, 1).build()).getMessage();
        assertTrue(msg.contains("layers_to_transform") && msg.contains("all-linear"), msg);
    }

    @Test
    void layersPatternNeedsLayersToTransform() {
        String msg = assertThrows(PeftConfigException.class,
                () -> targets(TargetModules.names("q_proj")).layersPattern("layers").build()).getMessage();
        assertTrue(msg.contains("layers_pattern") && msg.contains("layers_to_transform"), msg);
        // An empty pattern is falsy in Python, so it needs nothing.
        targets(TargetModules.names("q_proj")).layersPattern(List.of()).build();
    }

    @Test
    void excludeCannotBeAllLinear() {
        String msg = assertThrows(PeftConfigException.class,
                () -> targets(TargetModules.names("q_proj")).exclude(TargetModules.allLinear()).build()).getMessage();
        assertTrue(msg.contains("exclude_modules") && msg.contains("all-linear"), msg);
    }

    @Test
    void invalidFragmentsAndNullsNameTheirField() {
        String msg = assertThrows(PeftConfigException.class,
                () -> targets(TargetModules.names("q_proj")).modulesToSave(List.of("(")).build()).getMessage();
        assertTrue(msg.contains("modules_to_save"), msg);
        msg = assertThrows(PeftConfigException.class,
                () -> targets(TargetModules.names("q_proj")).layersToTransform(0).layersPattern("[").build())
                .getMessage();
        assertTrue(msg.contains("layers_pattern"), msg);
        List<Integer> withNull = new ArrayList<>();
        withNull.add(null);
        msg = assertThrows(PeftConfigException.class,
                () -> targets(TargetModules.names("q_proj")).layersToTransform(withNull)).getMessage();
        assertTrue(msg.contains("layers_to_transform"), msg);
    }

    @Test
    void accessorsReturnWhatWasBuilt() {
        TargetMatcher m = targets(TargetModules.names("q_proj")).layersToTransform(0, 2).layersPattern("layers")
                .modulesToSave(List.of("lm_head")).build();
        assertEquals(TargetModules.names("q_proj"), m.targets());
        assertEquals(List.of(0, 2), m.layersToTransform());
        assertEquals(List.of("layers"), m.layersPattern());
        assertEquals(List.of("lm_head"), m.modulesToSave());
        assertEquals(null, m.exclude());
        assertFalse(m.requiresModuleKinds());
        assertTrue(m.toString().contains("layers_to_transform=[0, 2]"), m.toString());
    }

    // --- rank_pattern / alpha_pattern ---

    @Test
    void resolveIntFollowsKeyOrder() {
        Map<String, Integer> rankPattern = new LinkedHashMap<>();
        rankPattern.put("q_proj", 16);
        rankPattern.put(".*down_proj", 4);
        rankPattern.put("model.layers.0.self_attn.q_proj", 64);
        assertEquals(16, TargetMatcher.resolveInt(rankPattern, "model.layers.0.self_attn.q_proj", 8));
        assertEquals(4, TargetMatcher.resolveInt(rankPattern, "model.layers.1.mlp.down_proj", 8));
        assertEquals(8, TargetMatcher.resolveInt(rankPattern, "model.layers.0.self_attn.k_proj", 8));
        assertEquals(8, TargetMatcher.resolveInt(Map.of(), "model.layers.0.self_attn.k_proj", 8));
        assertEquals(8, TargetMatcher.resolveInt(null, "model.layers.0.self_attn.k_proj", 8));

        Map<String, Integer> specificFirst = new LinkedHashMap<>();
        specificFirst.put("model.layers.0.self_attn.q_proj", 64);
        specificFirst.put("q_proj", 16);
        assertEquals(64, TargetMatcher.resolveInt(specificFirst, "model.layers.0.self_attn.q_proj", 8));
        assertEquals(16, TargetMatcher.resolveInt(specificFirst, "model.layers.1.self_attn.q_proj", 8));
    }

    @Test
    void resolveDoubleAcceptsIntsAndFloats() {
        Map<String, Number> alphaPattern = new LinkedHashMap<>();
        alphaPattern.put("v_proj", 32.5);
        alphaPattern.put("transformer[.]h[.][0-9]+[.]attn[.]c_attn", 64);
        assertEquals(32.5, TargetMatcher.resolveDouble(alphaPattern, "model.layers.3.self_attn.v_proj", 16.0));
        assertEquals(64.0, TargetMatcher.resolveDouble(alphaPattern, "transformer.h.3.attn.c_attn", 16.0));
        assertEquals(16.0, TargetMatcher.resolveDouble(alphaPattern, "transformer.h.3.mlp.c_proj", 16.0));
    }

    @Test
    void resolveRejectsNullValuesAndBadKeys() {
        Map<String, Integer> withNull = new LinkedHashMap<>();
        withNull.put("q_proj", null);
        assertThrows(PeftConfigException.class,
                () -> TargetMatcher.resolveInt(withNull, "model.layers.0.self_attn.q_proj", 8));
        assertEquals(8, TargetMatcher.resolveInt(withNull, "model.layers.0.self_attn.k_proj", 8));
        String msg = assertThrows(PeftConfigException.class,
                () -> TargetMatcher.resolveInt(Map.of("(", 4), "lm_head", 8)).getMessage();
        assertTrue(msg.contains("rank_pattern"), msg);
    }

    @Test
    void matcherIsSharedSafelyAcrossThreads() throws Exception {
        TargetMatcher m = targets(TargetModules.names("q_proj", "v_proj")).layersToTransform(1).build();
        Function<Integer, Long> count = seed -> LLAMA.parallelStream().filter(p -> m.matches(p, null)).count();
        for (int i = 0; i < 20; i++) {
            assertEquals(2L, count.apply(i));
        }
    }
}
