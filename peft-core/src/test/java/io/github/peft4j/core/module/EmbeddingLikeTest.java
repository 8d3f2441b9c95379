package io.github.peft4j.core.module;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;

import ai.djl.modality.nlp.embedding.TrainableWordEmbedding;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import io.github.peft4j.core.targeting.ModuleKind;
import java.util.List;
import org.junit.jupiter.api.Test;

class EmbeddingLikeTest {

    @Test
    void djlEmbeddingIsViewedThroughItsEmbeddingParameter() {
        try (NDManager manager = NDManager.newBaseManager()) {
            TrainableWordEmbedding djl =
                    TrainableWordEmbedding.fromPretrained(manager.zeros(new Shape(5, 3)), List.of("a", "b", "c", "d", "e"));
            EmbeddingLike view = EmbeddingLike.of(djl).orElseThrow();
            assertSame(djl.getDirectParameters().get("embedding"), view.weight());
            assertEquals(5, view.numEmbeddings());
            assertEquals(3, view.embeddingDim());
            assertEquals(ModuleKind.EMBEDDING, ModuleKind.of(djl, false));
        }
    }

    @Test
    void customBlocksImplementTheInterfaceAndLinearsAreNotEmbeddings() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Parameter w = Parameter.builder().setName("weight").setType(Parameter.Type.WEIGHT).optArray(manager.zeros(new Shape(7, 2))).build();
            EmbeddingLike custom = () -> w;
            assertEquals(7, custom.numEmbeddings());
            assertEquals(2, custom.embeddingDim());
            assertFalse(EmbeddingLike.of(Linear.builder().setUnits(2).build()).isPresent());
        }
    }
}
