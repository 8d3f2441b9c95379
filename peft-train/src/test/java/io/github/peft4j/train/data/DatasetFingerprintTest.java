package io.github.peft4j.train.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.github.peft4j.core.Labels;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The curated-data fingerprint the registry records: sha256 of length-prefixed little-endian ints. */
class DatasetFingerprintTest {

    private static final Batching BATCHING = Batching.builder(0).build();

    private static TokenizedDataset of(TokenizedExample... examples) {
        return new TokenizedDataset(List.of(examples), BATCHING);
    }

    @Test
    void isTheSha256OfTheExamplesBytes() throws Exception {
        int ignore = Labels.IGNORE_INDEX;
        TokenizedDataset data = of(TokenizedExample.languageModel(new int[] {5, 6, 7}, new int[] {ignore, 6, 7}),
                TokenizedExample.classification(new int[] {9}, 2));
        ByteBuffer expected = ByteBuffer.allocate(4 * (3 + 6 + 3 + 1)).order(ByteOrder.LITTLE_ENDIAN);
        expected.putInt(3).putInt(3).putInt(-1).putInt(5).putInt(6).putInt(7).putInt(ignore).putInt(6).putInt(7);
        expected.putInt(1).putInt(0).putInt(2).putInt(9);
        String hex = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(expected.array()));
        assertEquals("sha256:" + hex, data.fingerprint());
    }

    @Test
    void changesWithAnyLabelOrTheOrder() {
        TokenizedExample a = TokenizedExample.languageModel(new int[] {1, 2}, new int[] {1, 2});
        TokenizedExample masked = TokenizedExample.languageModel(new int[] {1, 2}, new int[] {Labels.IGNORE_INDEX, 2});
        TokenizedExample b = TokenizedExample.languageModel(new int[] {3}, new int[] {3});
        assertEquals(of(a, b).fingerprint(), of(a, b).fingerprint());
        assertNotEquals(of(a, b).fingerprint(), of(masked, b).fingerprint());
        assertNotEquals(of(a, b).fingerprint(), of(b, a).fingerprint());
        // a length prefix keeps [1,2][3] apart from [1][2,3]
        TokenizedExample one = TokenizedExample.languageModel(new int[] {1}, new int[] {1});
        TokenizedExample twoThree = TokenizedExample.languageModel(new int[] {2, 3}, new int[] {2, 3});
        TokenizedExample oneTwo = TokenizedExample.languageModel(new int[] {1, 2}, new int[] {1, 2});
        TokenizedExample three = TokenizedExample.languageModel(new int[] {3}, new int[] {3});
        assertNotEquals(of(one, twoThree).fingerprint(), of(oneTwo, three).fingerprint());
    }
}
