package io.github.peft4j.train.curation;

import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.train.data.DataRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Replaces personal data with typed placeholders: {@code <EMAIL>}, {@code <IBAN>}, {@code <CARD>}
 * (Luhn-checked), {@code <IP>} (v6 and v4), {@code <PHONE>}, then user-given patterns
 * ({@code <NAME>} or a type of the user's choosing). Rules run in that order, each on the output of
 * the previous one, so a card number is never half-taken by the phone rule; placeholders contain no
 * digits and are not matched again.
 *
 * <pre>{@code
 * PiiAnonymizer pii = PiiAnonymizer.builder()
 *         .names(List.of("Alice Martin", "Bob Stone"))
 *         .pattern("TICKET", "\\bTCK-\\d{5}\\b")
 *         .build();
 * CurationReport.Counter counts = new CurationReport.Counter();
 * pii.anonymize("Mail alice@example.com about TCK-12345", counts);  // "Mail <EMAIL> about <TICKET>"
 * }</pre>
 */
public final class PiiAnonymizer {

    private final List<PiiRule> rules;

    private PiiAnonymizer(List<PiiRule> rules) {
        this.rules = List.copyOf(rules);
    }

    /** @return a builder with every built-in rule */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the built-in rules only */
    public static PiiAnonymizer defaults() {
        return builder().build();
    }

    /** @return the rules, in the order they run */
    public List<PiiRule> rules() {
        return rules;
    }

    /**
     * @param text a text
     * @param counts receives a count per replacement and rule type
     * @return the anonymised text
     */
    public String anonymize(String text, CurationReport.Counter counts) {
        String out = text;
        for (PiiRule rule : rules) {
            out = rule.apply(out, counts);
        }
        return out;
    }

    /**
     * @param record a record
     * @param counts receives a count per replacement
     * @return the record with every text anonymised
     */
    public DataRecord anonymize(DataRecord record, CurationReport.Counter counts) {
        List<String> texts = new ArrayList<>();
        for (String t : record.texts()) {
            texts.add(anonymize(t, counts));
        }
        return texts.equals(record.texts()) ? record : record.withTexts(texts);
    }

    /** Which rules run. */
    public static final class Builder {
        private boolean email = true;
        private boolean iban = true;
        private boolean card = true;
        private boolean ip = true;
        private boolean phone = true;
        private final List<PiiRule> custom = new ArrayList<>();

        private Builder() {}

        /**
         * @param email replace e-mail addresses
         * @param iban replace IBANs
         * @param card replace card numbers
         * @param ip replace IP addresses
         * @param phone replace phone numbers
         * @return this
         */
        public Builder builtIns(boolean email, boolean iban, boolean card, boolean ip, boolean phone) {
            this.email = email;
            this.iban = iban;
            this.card = card;
            this.ip = ip;
            this.phone = phone;
            return this;
        }

        /**
         * @param names names to replace by {@code <NAME>} (whole words, case-sensitive)
         * @return this
         */
        public Builder names(List<String> names) {
            if (names.isEmpty()) {
                return this;
            }
            List<String> quoted = names.stream()
                    .sorted((x, y) -> y.length() - x.length())
                    .map(Pattern::quote)
                    .toList();
            custom.add(new PiiRule(PiiRules.NAME,
                    Pattern.compile("(?<!\\w)(?:" + String.join("|", quoted) + ")(?!\\w)"), String::length));
            return this;
        }

        /**
         * @param type the placeholder type ({@code NAME} for {@code <NAME>}); letters, digits and {@code _}
         * @param regex a regular expression whose matches are replaced
         * @return this
         */
        public Builder pattern(String type, String regex) {
            if (type == null || !type.matches("[A-Za-z0-9_]+")) {
                throw new PeftConfigException("PII placeholder type must be letters, digits or '_', got '" + type + "'");
            }
            try {
                custom.add(new PiiRule(type, Pattern.compile(regex), String::length));
            } catch (PatternSyntaxException e) {
                throw new PeftConfigException("PII pattern for " + type + " is not a valid regular expression: "
                        + e.getMessage());
            }
            return this;
        }

        /**
         * @param rule a rule of one's own, run after the built-in ones
         * @return this
         */
        public Builder rule(PiiRule rule) {
            custom.add(rule);
            return this;
        }

        /** @return the anonymizer */
        public PiiAnonymizer build() {
            List<PiiRule> rules = new ArrayList<>();
            if (email) {
                rules.add(PiiRules.email());
            }
            if (iban) {
                rules.add(PiiRules.iban());
            }
            if (card) {
                rules.add(PiiRules.card());
            }
            if (ip) {
                rules.add(PiiRules.ipv6());
                rules.add(PiiRules.ipv4());
            }
            if (phone) {
                rules.add(PiiRules.phone());
            }
            rules.addAll(custom);
            return new PiiAnonymizer(rules);
        }
    }
}
