package io.github.peft4j.spark;

import io.github.peft4j.train.data.Batch;
import io.github.peft4j.train.data.Batching;
import io.github.peft4j.train.data.TokenizedDataset;
import io.github.peft4j.train.data.TokenizedExample;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The tokenized training set in a serializable form, broadcast once to every executor (as
 * torch's {@code DistributedSampler}, every rank can read every example), and the rule that cuts a
 * global micro-batch into the ranks' shards: rank r of P takes the r-th contiguous slice.
 */
final class ShardedData implements Serializable {

    private static final long serialVersionUID = 1L;

    private final int[][] inputIds;
    private final int[][] labels;
    private final int[] classLabels;
    private final int padTokenId;
    private transient Batching batching;

    ShardedData(TokenizedDataset data, int padTokenId) {
        int n = data.size();
        inputIds = new int[n][];
        labels = new int[n][];
        classLabels = new int[n];
        for (int i = 0; i < n; i++) {
            TokenizedExample e = data.examples().get(i);
            inputIds[i] = e.inputIds();
            labels[i] = e.labels();
            classLabels[i] = e.classLabel();
        }
        this.padTokenId = padTokenId;
    }

    int size() {
        return inputIds.length;
    }

    /**
     * @param globalBatch the example indices of one global micro-batch
     * @param rank this task's rank
     * @param ranks the number of tasks
     * @return this rank's slice (possibly empty when the batch has fewer examples than ranks)
     */
    static int[] shard(int[] globalBatch, int rank, int ranks) {
        int from = (int) ((long) globalBatch.length * rank / ranks);
        int to = (int) ((long) globalBatch.length * (rank + 1) / ranks);
        return Arrays.copyOfRange(globalBatch, from, to);
    }

    /** @param indices examples @return them collated, padded to the longest */
    Batch batch(int[] indices) {
        if (batching == null) {
            batching = Batching.builder(padTokenId).build();
        }
        List<TokenizedExample> out = new ArrayList<>(indices.length);
        for (int i : indices) {
            out.add(new TokenizedExample(inputIds[i], labels[i], classLabels[i]));
        }
        return batching.collate(out);
    }
}
