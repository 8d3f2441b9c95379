package io.github.peft4j.spark;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;

/**
 * What a rank sends to the all-reduce each step: per micro-batch the item count, the loss sum,
 * the token count and the summed gradient (float32). {@link SocketExchange} sends its bytes,
 * {@link AllGatherExchange} their Base64 text (allGather carries strings). Only adapter gradients
 * travel: 32,768 floats for LoRA r=8 on q,v of a 4-layer 256-wide model, 128 kB per rank and
 * micro-batch (175 kB as text).
 */
final class GradientMessage {

    private final long[] items;
    private final double[] lossSums;
    private final long[] tokens;
    private final float[][] grads;

    GradientMessage(int microBatches, int floats) {
        items = new long[microBatches];
        lossSums = new double[microBatches];
        tokens = new long[microBatches];
        grads = new float[microBatches][floats];
    }

    void set(int microBatch, long itemCount, double lossSum, long tokenCount, float[] gradient) {
        items[microBatch] = itemCount;
        lossSums[microBatch] = lossSum;
        tokens[microBatch] = tokenCount;
        grads[microBatch] = gradient;
    }

    /** @return the micro-batches of this message */
    int microBatches() {
        return items.length;
    }

    /** @return the floats of each micro-batch's gradient */
    int floats() {
        return items.length == 0 ? 0 : grads[0].length;
    }

    /** @return the message as Base64 text, for {@code allGather} */
    String encode() {
        return Base64.getEncoder().encodeToString(toBytes());
    }

    static GradientMessage decode(String text) {
        return fromBytes(Base64.getDecoder().decode(text));
    }

    /** @return the message's bytes: little-endian counts, loss sums and float32 gradients */
    byte[] toBytes() {
        int g = items.length;
        int floats = floats();
        ByteBuffer buf = ByteBuffer.allocate(byteSize(g, floats)).order(ByteOrder.LITTLE_ENDIAN);
        buf.putInt(g).putInt(floats);
        for (int i = 0; i < g; i++) {
            buf.putLong(items[i]).putDouble(lossSums[i]).putLong(tokens[i]);
            buf.asFloatBuffer().put(grads[i]);
            buf.position(buf.position() + floats * 4);
        }
        return buf.array();
    }

    /**
     * @param microBatches the micro-batches
     * @param floats the floats of each gradient
     * @return the size of {@link #toBytes()} for such a message
     */
    static int byteSize(int microBatches, int floats) {
        return Math.toIntExact(8 + microBatches * 24L + (long) microBatches * floats * 4);
    }

    /**
     * @param bytes what {@link #toBytes()} wrote
     * @return the message
     * @throws IllegalArgumentException if the counts in the bytes do not fit their length
     */
    static GradientMessage fromBytes(byte[] bytes) {
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int g = bytes.length < 8 ? -1 : buf.getInt();
        int floats = bytes.length < 8 ? -1 : buf.getInt();
        if (g < 0 || floats < 0 || (long) g * floats > Integer.MAX_VALUE || 8 + g * 24L + (long) g * floats * 4 != bytes.length) {
            throw new IllegalArgumentException("a gradient message of " + bytes.length + " bytes declares " + g
                    + " micro-batches of " + floats + " floats");
        }
        GradientMessage m = new GradientMessage(g, floats);
        for (int i = 0; i < g; i++) {
            m.items[i] = buf.getLong();
            m.lossSums[i] = buf.getDouble();
            m.tokens[i] = buf.getLong();
            buf.asFloatBuffer().get(m.grads[i]);
            buf.position(buf.position() + floats * 4);
        }
        return m;
    }

    /**
     * The all-reduce: every rank reduces the same messages in the same order, so every replica
     * gets bit-identical gradients.
     *
     * @param messages one per rank, in rank order
     * @param averageItems HF's {@code average_tokens_across_micro_batches}: one mean over the step's
     *     items; otherwise each micro-batch's mean weighs {@code 1 / microBatches}
     * @return the step's gradient, loss and token count
     */
    static Reduced reduce(GradientMessage[] messages, boolean averageItems) {
        int g = messages[0].items.length;
        int floats = g == 0 ? 0 : messages[0].grads[0].length;
        double[] grad = new double[floats];
        double loss = 0;
        long tokens = 0;
        long allItems = 0;
        for (int i = 0; i < g; i++) {
            long n = 0;
            double lossSum = 0;
            double[] sum = new double[floats];
            for (GradientMessage m : messages) {
                n += m.items[i];
                lossSum += m.lossSums[i];
                tokens += m.tokens[i];
                float[] v = m.grads[i];
                for (int k = 0; k < floats; k++) {
                    sum[k] += v[k];
                }
            }
            allItems += n;
            double weight = averageItems ? 1.0 : (n == 0 ? 0 : 1.0 / ((double) n * g));
            loss += lossSum * weight;
            for (int k = 0; k < floats; k++) {
                grad[k] += sum[k] * weight;
            }
        }
        double scale = averageItems ? (allItems == 0 ? 0 : 1.0 / allItems) : 1.0;
        float[] out = new float[floats];
        for (int k = 0; k < floats; k++) {
            out[k] = (float) (grad[k] * scale);
        }
        return new Reduced(out, loss * scale, tokens);
    }

    /**
     * @param gradient the step's gradient, in parameter order
     * @param loss the step's mean loss
     * @param tokens the non-padding tokens of the step
     */
    record Reduced(float[] gradient, double loss, long tokens) {

        /** @param floats the gradient's floats @return the size of {@link #toBytes()} */
        static int byteSize(int floats) {
            return Math.toIntExact(16 + 4L * floats);
        }

        /** @return the loss, the token count and the gradient, little-endian: what rank 0 broadcasts */
        byte[] toBytes() {
            ByteBuffer buf = ByteBuffer.allocate(byteSize(gradient.length)).order(ByteOrder.LITTLE_ENDIAN);
            buf.putDouble(loss).putLong(tokens);
            buf.asFloatBuffer().put(gradient);
            return buf.array();
        }

        /** @param bytes what {@link #toBytes()} wrote, {@link #byteSize} long @return the reduction */
        static Reduced fromBytes(byte[] bytes) {
            ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            double loss = buf.getDouble();
            long tokens = buf.getLong();
            float[] gradient = new float[(bytes.length - 16) / 4];
            buf.asFloatBuffer().get(gradient);
            return new Reduced(gradient, loss, tokens);
        }
    }
}
