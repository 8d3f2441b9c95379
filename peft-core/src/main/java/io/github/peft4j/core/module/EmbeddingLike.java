package io.github.peft4j.core.module;

import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Embedding;
import java.util.Optional;

/**
 * An embedding layer as tuners see it: a weight of shape [num_embeddings, embedding_dim] whose rows
 * are looked up by integer ids, like {@code torch.nn.Embedding}. Model blocks that hold such a table
 * implement this interface; DJL's {@link Embedding} (weight parameter {@code embedding}) is viewed
 * through {@link #of(Block)}.
 *
 * <pre>{@code
 * EmbeddingLike embed = EmbeddingLike.of(tree.get("model.embed_tokens")).orElseThrow();
 * long vocab = embed.numEmbeddings();
 * }</pre>
 */
public interface EmbeddingLike {

    /** @return the weight parameter, [num_embeddings, embedding_dim] */
    Parameter weight();

    /** @return the number of rows (vocabulary size) */
    default long numEmbeddings() {
        return weight().getArray().getShape().get(0);
    }

    /** @return the size of each embedding vector */
    default long embeddingDim() {
        return weight().getArray().getShape().get(1);
    }

    /**
     * @param block any block
     * @return the block as an embedding layer, if it is one
     */
    static Optional<EmbeddingLike> of(Block block) {
        if (block instanceof EmbeddingLike embedding) {
            return Optional.of(embedding);
        }
        if (block instanceof Embedding<?> && block.getDirectParameters().contains("embedding")) {
            Parameter weight = block.getDirectParameters().get("embedding");
            return Optional.of(() -> weight);
        }
        return Optional.empty();
    }
}
