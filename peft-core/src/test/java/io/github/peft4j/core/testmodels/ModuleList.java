package io.github.peft4j.core.testmodels;

import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.List;

/** {@code torch.nn.ModuleList} applied in order: children named 0, 1, ...; {@code params} passed on. */
final class ModuleList extends Module {

    private final Block[] items;

    ModuleList(List<? extends Block> blocks) {
        items = new Block[blocks.size()];
        for (int i = 0; i < items.length; i++) {
            items[i] = addChildBlock(Integer.toString(i), blocks.get(i));
        }
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> p) {
        NDList h = in;
        for (Block item : items) {
            h = item.forward(ps, h, training, p);
        }
        return h;
    }
}
