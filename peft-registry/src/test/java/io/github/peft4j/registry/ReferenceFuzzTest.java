package io.github.peft4j.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.peft4j.core.PeftException;
import io.github.peft4j.core.fingerprint.BaseModelFingerprint;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Issue 24's standing suite, registry part: odd names, references, aliases and lineage values
 * ({@code ../x}, {@code name:99999999999}, unicode, NUL, lone surrogates, 5,000 characters...) fed
 * to every verb that takes one. Each call ends in success or a {@link PeftException} subtype whose
 * message names the text at fault, within 10 s; a call that fails leaves the registry exactly as it
 * was (no version, alias move, audit entry or blob).
 */
class ReferenceFuzzTest {

    private static final long BOUND_NANOS = 10_000_000_000L;
    private static final AtomicLong OK = new AtomicLong();
    private static final AtomicLong REFUSED = new AtomicLong();
    private static final AtomicLong SEED = new AtomicLong(1000);
    private static FuzzRegistries registries;

    /** The verbs that take user text. */
    enum Verb {
        RESOLVE, VERSIONS, AUDIT, EXPORT, FETCH, DIFF_LEFT, DIFF_RIGHT, PROMOTE_REF, PROMOTE_ALIAS, ROLLBACK_NAME,
        ROLLBACK_ALIAS, PUSH_NAME, PUSH_PARENT, PUSH_BASE, PUSH_CREATED_BY, PUSH_NOTES, PUSH_DATA, OPEN_URL
    }

    @BeforeContainer
    static void open() {
        registries = new FuzzRegistries();
    }

    @AfterContainer
    static void close() throws Exception {
        registries.close();
        System.out.printf("fuzz counts: registry references %d succeeded, %d refused%n", OK.get(), REFUSED.get());
    }

    @Provide
    Arbitrary<String> backends() {
        return Arbitraries.of(FuzzRegistries.backends());
    }

    @Provide
    Arbitrary<String> odd() {
        return OddText.any();
    }

    @Property
    void everyVerbEndsInSuccessOrANamedPeftExceptionAndAFailureChangesNothing(@ForAll("backends") String backend,
            @ForAll Verb verb, @ForAll("odd") String text) throws Exception {
        AdapterRegistry r = registries.get(backend);
        Path scratch = registries.scratch();
        RegistrySnapshot before = RegistrySnapshot.of(r);
        long start = System.nanoTime();
        try {
            call(r, verb, text, scratch);
            OK.incrementAndGet();
        } catch (PeftException e) {
            REFUSED.incrementAndGet();
            String message = String.valueOf(e.getMessage());
            String head = text.length() > 100 ? text.substring(0, 100) : text; // long values are shortened
            assertTrue(message.contains(head) || message.contains(ModelName.of(text)),
                    verb + " '" + text + "': the message does not name the text: " + message);
            assertEquals("", before.changesTo(RegistrySnapshot.of(r)), verb + " '" + text + "' failed (" + message
                    + ") but changed the registry");
        } finally {
            FuzzRegistries.delete(scratch);
        }
        assertTrue(System.nanoTime() - start < BOUND_NANOS, verb + " took longer than 10 s");
    }

    private static void call(AdapterRegistry r, Verb verb, String text, Path scratch) throws Exception {
        BaseModelFingerprint base = new BaseModelFingerprint(RegistryContract.BASE);
        switch (verb) {
            case RESOLVE -> r.resolve(text);
            case VERSIONS -> r.versions(text);
            case AUDIT -> r.audit(text);
            case EXPORT -> r.export(text, scratch.resolve("out"));
            case FETCH -> r.fetch(text, scratch.resolve("out"), base);
            case DIFF_LEFT -> r.diff(text, "support:1");
            case DIFF_RIGHT -> r.diff("support:2", text);
            case PROMOTE_REF -> r.promote(text, "canary", PromotionRequest.ungated("fuzz"));
            case PROMOTE_ALIAS -> r.promote("support:2", text, PromotionRequest.ungated("fuzz"));
            case ROLLBACK_NAME -> r.rollback(text, "production", "fuzz", null);
            case ROLLBACK_ALIAS -> r.rollback("support", text, "fuzz", null);
            case PUSH_NAME -> r.push(text, fresh(scratch), Lineage.none());
            case PUSH_PARENT -> r.push("support", fresh(scratch), Lineage.builder().parent(text).build());
            case PUSH_BASE -> r.push("support", fresh(scratch), Lineage.builder().baseFingerprint(text).build());
            case PUSH_CREATED_BY -> r.push("support", fresh(scratch), Lineage.builder().createdBy(text).build());
            case PUSH_NOTES -> r.push("support", fresh(scratch), Lineage.builder().notes(text).build());
            case PUSH_DATA -> r.push("support", fresh(scratch), Lineage.builder().dataFingerprint(text).build());
            case OPEN_URL -> {
                if (!text.startsWith("sqlite") && !text.startsWith("postgresql")) {
                    AdapterRegistry.open("jdbc:" + text, scratch.resolve("blobs"));
                }
            }
        }
    }

    /** @return an adapter no registry holds yet, so that a push that succeeds creates a version */
    private static Path fresh(Path scratch) throws Exception {
        return TestAdapters.write(scratch.resolve("in"), 4, SEED.incrementAndGet(), 64);
    }

    /** The name part of a reference, which is what "no adapter named" messages quote. */
    private static final class ModelName {
        static String of(String ref) {
            int cut = ref.length();
            for (char c : new char[] {':', '@'}) {
                int at = ref.indexOf(c);
                cut = at >= 0 ? Math.min(cut, at) : cut;
            }
            return ref.isEmpty() ? "\u0000never" : ref.substring(0, cut);
        }
    }
}
