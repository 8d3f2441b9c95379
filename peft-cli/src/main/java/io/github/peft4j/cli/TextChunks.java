package io.github.peft4j.cli;

import io.github.peft4j.train.data.Batching;
import io.github.peft4j.train.data.TextTokenizer;
import io.github.peft4j.train.data.TokenizedDataset;
import io.github.peft4j.train.data.TokenizedExample;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * Plain text for language modelling, as transformers' {@code group_texts}: every paragraph is
 * tokenized and followed by EOS, the token stream is concatenated and cut into full sequences of
 * one length (the remainder is dropped), every token trained.
 */
final class TextChunks {

    private TextChunks() {}

    /**
     * @param file one paragraph per line, UTF-8, gzip when the name ends in {@code .gz}
     * @return the non-blank lines
     */
    static List<String> readLines(Path file) {
        try (InputStream raw = Files.newInputStream(file);
                InputStream in = file.getFileName().toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw;
                BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            List<String> out = new ArrayList<>();
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                if (!line.isBlank()) {
                    out.add(line.strip());
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /**
     * @param paragraphs the texts
     * @param tokenizer the model's tokenizer
     * @param seqLen tokens per sequence
     * @param eos the id appended after every paragraph
     * @return full sequences of {@code seqLen} tokens, labels equal to the inputs
     */
    static TokenizedDataset dataset(List<String> paragraphs, TextTokenizer tokenizer, int seqLen, int eos) {
        int[] stream = new int[1 << 16];
        int n = 0;
        for (String p : paragraphs) {
            int[] ids = tokenizer.encode(p);
            if (n + ids.length + 1 > stream.length) {
                stream = Arrays.copyOf(stream, Math.max(stream.length * 2, n + ids.length + 1));
            }
            System.arraycopy(ids, 0, stream, n, ids.length);
            n += ids.length;
            stream[n++] = eos;
        }
        List<TokenizedExample> examples = new ArrayList<>();
        for (int start = 0; start + seqLen <= n; start += seqLen) {
            int[] ids = Arrays.copyOfRange(stream, start, start + seqLen);
            examples.add(TokenizedExample.languageModel(ids, ids.clone()));
        }
        return new TokenizedDataset(examples, Batching.builder(eos).build());
    }
}
