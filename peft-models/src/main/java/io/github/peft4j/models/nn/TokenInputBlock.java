package io.github.peft4j.models.nn;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import java.util.HashSet;
import java.util.Set;

/**
 * A block from token ids {@code [B,T]} to hidden states {@code [B,T,H]}: a model body
 * ({@code transformer}, {@code model}, {@code bert}) or an embedding stage. The children added
 * with {@link #addIdReader} are initialised on the ids' shape, the others on the hidden shape, each
 * in the order it was added.
 *
 * <pre>{@code
 * wte = addTokenEmbedding("wte", new TokenEmbedding(vocab, hidden));
 * wpe = addIdReader("wpe", new TokenEmbedding(positions, hidden));
 * h = addChildBlock("h", new ModuleList<>());
 * }</pre>
 */
public abstract class TokenInputBlock extends AbstractBlock {

    private final int hiddenSize;
    private TokenEmbedding tokenEmbedding;
    // positions in getChildren(): block surgery replaces a child in place, so they stay valid
    private final Set<Integer> idReaders = new HashSet<>();

    /** @param hiddenSize the size of the hidden states, {@code H} */
    protected TokenInputBlock(int hiddenSize) {
        this.hiddenSize = hiddenSize;
    }

    /** @return the size of the hidden states, {@code H} */
    protected final int hiddenSize() {
        return hiddenSize;
    }

    /**
     * Adds a child that reads the token ids (an embedding table), not the hidden states.
     *
     * @param name the child's module name
     * @param block the child
     * @param <B> its type
     * @return the child
     */
    protected final <B extends Block> B addIdReader(String name, B block) {
        idReaders.add(getChildren().size());
        return addChildBlock(name, block);
    }

    /**
     * Adds the table that turns token ids into vectors, which {@link #tokenEmbedding()} returns.
     *
     * @param name the child's module name ({@code wte}, {@code embed_tokens})
     * @param table the table
     * @return the table
     */
    protected final TokenEmbedding addTokenEmbedding(String name, TokenEmbedding table) {
        tokenEmbedding = table;
        return addIdReader(name, table);
    }

    /** @return the table that turns token ids into vectors (the weight a tied output head reads) */
    public TokenEmbedding tokenEmbedding() {
        return tokenEmbedding;
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape ids = inputShapes[0];
        Shape hidden = ids.add(hiddenSize);
        for (int i = 0; i < getChildren().size(); i++) {
            getChildren().get(i).getValue().initialize(manager, dataType, idReaders.contains(i) ? ids : hidden);
        }
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0].add(hiddenSize)};
    }
}
