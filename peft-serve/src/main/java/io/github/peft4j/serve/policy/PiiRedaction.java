package io.github.peft4j.serve.policy;

import io.github.peft4j.serve.Tenant;
import io.github.peft4j.train.curation.CurationReport;
import io.github.peft4j.train.curation.PiiAnonymizer;

/**
 * The shipped output policy: personal data in generated text (e-mail addresses, IBANs, card
 * numbers, IP addresses, phone numbers, and the names and patterns given) is replaced with typed
 * placeholders by peft-train's {@link PiiAnonymizer}, the one that cleans training data.
 *
 * <pre>{@code
 * ServeConfig config = ServeConfig.builder(baseDir).policy(new PiiRedaction(PiiAnonymizer.defaults())).build();
 * // "write to alice@example.com" leaves the server as "write to <EMAIL>"
 * }</pre>
 */
public final class PiiRedaction implements PolicyHook {

    private final PiiAnonymizer anonymizer;

    /** @param anonymizer the rules to apply */
    public PiiRedaction(PiiAnonymizer anonymizer) {
        this.anonymizer = anonymizer;
    }

    /** @return redaction with the built-in rules */
    public static PiiRedaction defaults() {
        return new PiiRedaction(PiiAnonymizer.defaults());
    }

    /** @param text a text @return it with personal data replaced */
    public String redact(String text) {
        return anonymizer.anonymize(text, new CurationReport.Counter());
    }

    @Override
    public String afterGeneration(Tenant tenant, String model, String completion) {
        return redact(completion);
    }

    @Override
    public boolean rewritesOutput() {
        return true;
    }
}
