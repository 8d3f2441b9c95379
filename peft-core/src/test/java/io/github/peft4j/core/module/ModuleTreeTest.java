package io.github.peft4j.core.module;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.ToyModels;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ModuleTreeTest {

    @Test
    void pathsAreHuggingFaceStateDictNames() {
        try (NDManager manager = NDManager.newBaseManager()) {
            ModuleTree tree = ModuleTree.of(ToyModels.llamaLike(manager, 4, 2, 1));
            assertEquals(List.of("", "model", "model.layers",
                    "model.layers.0", "model.layers.0.self_attn", "model.layers.0.self_attn.q_proj",
                    "model.layers.0.self_attn.v_proj", "model.layers.0.mlp", "model.layers.0.mlp.down_proj",
                    "model.layers.1", "model.layers.1.self_attn", "model.layers.1.self_attn.q_proj",
                    "model.layers.1.self_attn.v_proj", "model.layers.1.mlp", "model.layers.1.mlp.down_proj",
                    "lm_head"), tree.paths());
            assertTrue(tree.get("model.layers.1.mlp.down_proj") instanceof Linear);
            assertEquals("down_proj", tree.modules().get("model.layers.1.mlp.down_proj").name());
        }
    }

    @Test
    void parameterNamesAreModulePathPlusParameterName() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Map<String, ai.djl.nn.Parameter> params = ModuleTree.of(ToyModels.llamaLike(manager, 4, 1, 1)).parameters();
            assertEquals(List.of("model.layers.0.self_attn.q_proj.weight", "model.layers.0.self_attn.q_proj.bias",
                    "model.layers.0.self_attn.v_proj.weight", "model.layers.0.self_attn.v_proj.bias",
                    "model.layers.0.mlp.down_proj.weight", "lm_head.weight"), List.copyOf(params.keySet()));
            assertEquals(new ai.djl.ndarray.types.Shape(4, 4),
                    params.get("model.layers.0.mlp.down_proj.weight").getArray().getShape());
        }
    }

    @Test
    void sequentialAndParallelChildrenAreNamedByIndex() {
        SequentialBlock seq = new SequentialBlock();
        seq.add(Linear.builder().setUnits(2).build());
        ParallelBlock par = new ParallelBlock(list -> list.get(0),
                List.of(Linear.builder().setUnits(2).build(), Linear.builder().setUnits(3).build()));
        seq.add(par);
        ModuleTree tree = ModuleTree.of(seq);
        assertEquals(List.of("", "0", "1", "1.0", "1.1"), tree.paths());
        assertSame(par, tree.get("1"));
    }

    @Test
    void childSegmentStripsThreeDigitPrefixesToo() {
        Block parent = new ai.djl.nn.LambdaBlock(x -> x);
        assertEquals("layer", ModuleTree.childSegment(parent, 0, "01layer"));
        assertEquals("h", ModuleTree.childSegment(parent, 99, "100h"));
        assertEquals("11x", ModuleTree.childSegment(parent, 10, "1111x"));
    }

    @Test
    void unknownPathListsTheModulesThatExist() {
        try (NDManager manager = NDManager.newBaseManager()) {
            ModuleTree tree = ModuleTree.of(ToyModels.llamaLike(manager, 4, 1, 1));
            PeftConfigException e = assertThrows(PeftConfigException.class, () -> tree.get("model.layers.7.q_proj"));
            assertTrue(e.getMessage().contains("model.layers.7.q_proj"), e.getMessage());
            assertTrue(e.getMessage().contains("model.layers.0.self_attn.q_proj"), e.getMessage());
        }
    }
}
