package io.github.peft4j.models.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.peft4j.core.hooks.ForwardContext;
import io.github.peft4j.core.hooks.VirtualTokens;
import io.github.peft4j.models.config.BertConfig;
import io.github.peft4j.models.nn.Dropout;
import io.github.peft4j.models.nn.HfLayerNorm;
import io.github.peft4j.models.nn.TokenEmbedding;
import io.github.peft4j.models.nn.TokenInputBlock;
import java.util.Optional;

/**
 * BERT's {@code embeddings}: {@code LayerNorm(word + position + token_type)} then dropout.
 * Virtual tokens from the {@link ForwardContext} replace word embeddings in front of the sequence
 * (token type 0), as PEFT's prompt tuning does with {@code inputs_embeds}.
 * Inputs: {@code (input_ids [B,T], token_type_ids [B,T], position_ids [1,T'])} with
 * {@code T' = virtual + T}.
 *
 * <pre>{@code
 * Block embeddings = ModuleTree.of(model).get("bert.embeddings");
 * }</pre>
 */
public final class BertEmbeddings extends TokenInputBlock {

    private final double dropout;
    private Block wordEmbeddings;
    private Block positionEmbeddings;
    private Block tokenTypeEmbeddings;
    private Block layerNorm;

    BertEmbeddings(BertConfig config) {
        super(config.hiddenSize());
        this.dropout = config.hiddenDropout();
        wordEmbeddings = addTokenEmbedding("word_embeddings", new TokenEmbedding(config.vocabSize(), config.hiddenSize()));
        positionEmbeddings = addIdReader("position_embeddings",
                new TokenEmbedding(config.maxPositionEmbeddings(), config.hiddenSize()));
        tokenTypeEmbeddings = addIdReader("token_type_embeddings",
                new TokenEmbedding(config.typeVocabSize(), config.hiddenSize()));
        layerNorm = addChildBlock("LayerNorm", new HfLayerNorm(config.hiddenSize(), config.layerNormEps()));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray ids = inputs.get(0);
        NDArray types = inputs.get(1);
        NDArray positions = inputs.get(2);
        NDArray embeds = wordEmbeddings.forward(ps, new NDList(ids), training, params).head();
        Optional<VirtualTokens> virtual = ForwardContext.current(params).get(VirtualTokens.KEY);
        if (virtual.isPresent()) {
            NDArray prompts = virtual.get().embeddings();
            Shape s = prompts.getShape();
            long batch = ids.getShape().get(0);
            if (s.get(0) != batch) {
                prompts = prompts.broadcast(new Shape(batch, s.get(1), s.get(2)));
            }
            embeds = own(prompts.concat(embeds, 1), ids.getManager());
            NDArray promptTypes = ids.getManager().zeros(new Shape(batch, s.get(1)), types.getDataType());
            types = promptTypes.concat(types, 1);
        }
        NDArray sum = embeds.add(tokenTypeEmbeddings.forward(ps, new NDList(types), training, params).head())
                .add(positionEmbeddings.forward(ps, new NDList(positions), training, params).head());
        NDArray normed = layerNorm.forward(ps, new NDList(sum), training, params).head();
        return new NDList(Dropout.apply(normed, dropout, training));
    }

    private static NDArray own(NDArray fresh, NDManager target) {
        if (fresh.getManager() != target) {
            fresh.attach(target);
        }
        return fresh;
    }

}
