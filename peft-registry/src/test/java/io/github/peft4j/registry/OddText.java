package io.github.peft4j.registry;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;

/**
 * Strings a hostile or careless user types where the registry expects a name, a reference, an
 * alias or a fingerprint: path traversal, separators in the wrong place, huge and negative
 * numbers, unicode look-alikes, control characters, lone surrogates, very long text, and random
 * text; mixed with valid ones so that the operations also get past their first check.
 */
final class OddText {

    private OddText() {}

    static final String[] SAMPLES = {
        "", " ", "support", "support:1", "support:2", "support@production", "team/x", "team/x:1",
        "../x", "../../etc/passwd", "support/../x", "a//b", "a/", "/abs", "./support", "a/./b", "support/..", "%2e%2e/x",
        "C:\\x", "support:0", "support:-1", "support:01", "support:2147483648", "support:999999999", "support:9999999999",
        "support:99999999999999999999999", "support:1e3", "support: 1", "support:1 ", "support@", "@production",
        "support@production@x", "support:1@production", "support@1x", "support@pro duction", "support@../x",
        "support@" + "a".repeat(101), "a".repeat(200), "a".repeat(201), "s".repeat(5000), "süpport", "支持", "ѕupport",
        "support\u0000", "sup\u0000port", "support\n", "support\r\nx", "support\u202e", "support\ud800", "\udc00",
        "support\uffff", "😀", "support😀", "support%00", "support;DROP TABLE peft4j_versions", "support' OR '1'='1",
        "sha256:" + "ab".repeat(32), "sha256:" + "AB".repeat(32), "sha256:" + "ab".repeat(31), "hf:", "hf:@", "hf:a@",
        "hf:@b", "hf:a@b", "hf:a@b@c", "hf:../x@main", "sha256:", "null", "NaN",
    };

    /** @return a sample, a random string, or a sample with random text around it */
    static Arbitrary<String> any() {
        Arbitrary<String> samples = Arbitraries.of(SAMPLES);
        Arbitrary<String> random = Arbitraries.strings().all().ofMaxLength(40);
        Arbitrary<String> around = Arbitraries.of(SAMPLES).flatMap(s -> Arbitraries.strings().all().ofMaxLength(4)
                .map(extra -> s + extra));
        Arbitrary<String> numbers = Arbitraries.longs().map(n -> "support:" + n);
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(5, samples), net.jqwik.api.Tuple.of(2, random),
                net.jqwik.api.Tuple.of(2, around), net.jqwik.api.Tuple.of(1, numbers));
    }
}
