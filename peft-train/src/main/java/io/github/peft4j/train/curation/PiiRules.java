package io.github.peft4j.train.curation;

import java.math.BigInteger;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The built-in personal-data rules: e-mail addresses, payment-card numbers (Luhn-checked), IBANs
 * (ISO 13616 mod-97 and country length checked), IPv4 and IPv6 addresses, and phone numbers.
 *
 * <pre>{@code
 * PiiRules.luhnValid("4111111111111111");            // true
 * PiiRules.ibanValid("DE89370400440532013000");      // true
 * }</pre>
 */
public final class PiiRules {

    private PiiRules() {}

    /** Placeholder type of e-mail addresses. */
    public static final String EMAIL = "EMAIL";
    /** Placeholder type of phone numbers. */
    public static final String PHONE = "PHONE";
    /** Placeholder type of payment-card numbers. */
    public static final String CARD = "CARD";
    /** Placeholder type of IBANs. */
    public static final String IBAN = "IBAN";
    /** Placeholder type of IP addresses. */
    public static final String IP = "IP";
    /** Placeholder type of user-given name patterns. */
    public static final String NAME = "NAME";

    /** @return e-mail addresses: local part, {@code @}, a domain with a dot and a 2+ letter top level */
    public static PiiRule email() {
        return new PiiRule(EMAIL, Pattern.compile(
                "(?<![\\w.%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                        + "(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\\.[A-Za-z]{2,}(?![\\w-])"),
                String::length);
    }

    /**
     * @return card numbers of 13 to 19 digits, contiguous or in groups of four (or Amex's 4-6-5),
     *     with an issuer's first digit (2-6) and a valid Luhn checksum
     */
    public static PiiRule card() {
        return new PiiRule(CARD, Pattern.compile(
                "(?<![\\w-])(?:\\d{13,19}|\\d{4}([ -])\\d{4}\\1\\d{4}\\1\\d{1,7}|\\d{4}([ -])\\d{6}\\2\\d{4,5})(?![\\w-])"),
                candidate -> {
                    String digits = candidate.replaceAll("[ -]", "");
                    boolean issuer = digits.charAt(0) >= '2' && digits.charAt(0) <= '6';
                    return digits.length() >= 13 && digits.length() <= 19 && issuer && luhnValid(digits)
                            ? candidate.length() : 0;
                });
    }

    /** @return IBANs, compact or in groups of four, with a valid country length and mod-97 checksum */
    public static PiiRule iban() {
        return new PiiRule(IBAN, Pattern.compile("(?<![A-Za-z0-9])[A-Z]{2}\\d{2}(?: ?[A-Z0-9]){11,30}"),
                PiiRules::ibanSpan);
    }

    /** @return IPv4 (dotted quad, each part 0-255) and IPv6 (full or {@code ::}-compressed) addresses */
    public static PiiRule ipv4() {
        String octet = "(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
        return new PiiRule(IP, Pattern.compile(
                "(?<![\\w.])" + octet + "(?:\\." + octet + "){3}(?![\\w]|\\.\\d)"), String::length);
    }

    /** @return IPv6 addresses, full or {@code ::}-compressed */
    public static PiiRule ipv6() {
        return new PiiRule(IP, Pattern.compile("(?<![\\w:])[0-9A-Fa-f:]*:[0-9A-Fa-f:]*:[0-9A-Fa-f:]*(?![\\w:])"),
                candidate -> ipv6Valid(candidate) ? candidate.length() : 0);
    }

    /**
     * @return phone numbers: 7 to 15 digits in groups separated by spaces, dots or dashes, written
     *     internationally ({@code +41 44 668 18 00}), with a trunk prefix 0 ({@code 030 1234567}),
     *     with an area code in brackets, or as North American {@code 555-123-4567}; dates and plain
     *     numbers are left alone
     */
    public static PiiRule phone() {
        Pattern nanp = Pattern.compile("\\d{3}[ .-]\\d{3}[ .-]\\d{4}");
        return new PiiRule(PHONE, Pattern.compile(
                "(?<![\\w+])(?:\\+\\d{1,3}[ .-]?)?(?:\\(\\d{1,5}\\)[ .-]?)?\\d{1,5}(?:[ .-]?\\d{1,5}){0,6}(?![\\w])"),
                candidate -> {
                    long digits = candidate.chars().filter(Character::isDigit).count();
                    if (digits < 7 || digits > 15) {
                        return 0;
                    }
                    char first = candidate.charAt(0);
                    boolean styled = first == '+' || first == '(' || first == '0' || nanp.matcher(candidate).matches();
                    return styled ? candidate.length() : 0;
                });
    }

    /**
     * @param digits digits only
     * @return whether the Luhn checksum holds
     */
    public static boolean luhnValid(String digits) {
        int sum = 0;
        boolean doubleIt = false;
        for (int i = digits.length() - 1; i >= 0; i--) {
            int d = digits.charAt(i) - '0';
            if (d < 0 || d > 9) {
                return false;
            }
            if (doubleIt) {
                d *= 2;
                if (d > 9) {
                    d -= 9;
                }
            }
            sum += d;
            doubleIt = !doubleIt;
        }
        return !digits.isEmpty() && sum % 10 == 0;
    }

    /** IBAN lengths per country (ISO 13616 registry). */
    private static final Map<String, Integer> IBAN_LENGTHS = Map.ofEntries(
            Map.entry("AD", 24), Map.entry("AE", 23), Map.entry("AL", 28), Map.entry("AT", 20), Map.entry("AZ", 28),
            Map.entry("BA", 20), Map.entry("BE", 16), Map.entry("BG", 22), Map.entry("BH", 22), Map.entry("BR", 29),
            Map.entry("BY", 28), Map.entry("CH", 21), Map.entry("CR", 22), Map.entry("CY", 28), Map.entry("CZ", 24),
            Map.entry("DE", 22), Map.entry("DK", 18), Map.entry("DO", 28), Map.entry("EE", 20), Map.entry("EG", 29),
            Map.entry("ES", 24), Map.entry("FI", 18), Map.entry("FO", 18), Map.entry("FR", 27), Map.entry("GB", 22),
            Map.entry("GE", 22), Map.entry("GI", 23), Map.entry("GL", 18), Map.entry("GR", 27), Map.entry("GT", 28),
            Map.entry("HR", 21), Map.entry("HU", 28), Map.entry("IE", 22), Map.entry("IL", 23), Map.entry("IQ", 23),
            Map.entry("IS", 26), Map.entry("IT", 27), Map.entry("JO", 30), Map.entry("KW", 30), Map.entry("KZ", 20),
            Map.entry("LB", 28), Map.entry("LC", 32), Map.entry("LI", 21), Map.entry("LT", 20), Map.entry("LU", 20),
            Map.entry("LV", 21), Map.entry("MC", 27), Map.entry("MD", 24), Map.entry("ME", 22), Map.entry("MK", 19),
            Map.entry("MR", 27), Map.entry("MT", 31), Map.entry("MU", 30), Map.entry("NL", 18), Map.entry("NO", 15),
            Map.entry("PK", 24), Map.entry("PL", 28), Map.entry("PS", 29), Map.entry("PT", 25), Map.entry("QA", 29),
            Map.entry("RO", 24), Map.entry("RS", 22), Map.entry("SA", 24), Map.entry("SC", 31), Map.entry("SE", 24),
            Map.entry("SI", 19), Map.entry("SK", 24), Map.entry("SM", 27), Map.entry("ST", 25), Map.entry("SV", 28),
            Map.entry("TL", 23), Map.entry("TN", 24), Map.entry("TR", 26), Map.entry("UA", 29), Map.entry("VA", 22),
            Map.entry("VG", 24), Map.entry("XK", 20));

    /**
     * @param compact an IBAN without spaces
     * @return whether its country length (where known) and mod-97 checksum hold
     */
    public static boolean ibanValid(String compact) {
        if (compact.length() < 15 || compact.length() > 34 || !compact.matches("[A-Z]{2}\\d{2}[A-Z0-9]+")) {
            return false;
        }
        Integer expected = IBAN_LENGTHS.get(compact.substring(0, 2));
        if (expected != null && expected != compact.length()) {
            return false;
        }
        String rearranged = compact.substring(4) + compact.substring(0, 4);
        StringBuilder digits = new StringBuilder();
        for (char c : rearranged.toCharArray()) {
            digits.append(Character.isDigit(c) ? String.valueOf(c) : String.valueOf(c - 'A' + 10));
        }
        return new BigInteger(digits.toString()).mod(BigInteger.valueOf(97)).intValue() == 1;
    }

    // The candidate may run into following capitalised words ("... 3000 IBAN"): accept the longest
    // prefix, at the country's length when known, that is a valid IBAN.
    private static int ibanSpan(String candidate) {
        StringBuilder compact = new StringBuilder();
        int[] endOf = new int[candidate.length() + 1];
        for (int i = 0; i < candidate.length(); i++) {
            char c = candidate.charAt(i);
            if (c != ' ') {
                compact.append(c);
                endOf[compact.length()] = i + 1;
            }
        }
        Integer expected = IBAN_LENGTHS.get(candidate.substring(0, 2));
        for (int len = Math.min(34, compact.length()); len >= 15; len--) {
            if (expected != null && len != expected) {
                continue;
            }
            int end = endOf[len];
            boolean atBoundary = end == candidate.length() || candidate.charAt(end) == ' '
                    || !Character.isLetterOrDigit(candidate.charAt(end));
            if (atBoundary && ibanValid(compact.substring(0, len))) {
                return end;
            }
        }
        return 0;
    }

    /**
     * @param s a candidate
     * @return whether it is an IPv6 address: eight groups of 1-4 hex digits, or fewer with one {@code ::}
     */
    public static boolean ipv6Valid(String s) {
        int compressed = s.indexOf("::");
        if (compressed >= 0 && s.indexOf("::", compressed + 1) >= 0) {
            return false;
        }
        if (s.replace(":", "").isEmpty()) {
            return false;
        }
        String[] parts;
        if (compressed >= 0) {
            String head = s.substring(0, compressed);
            String tail = s.substring(compressed + 2);
            String[] h = head.isEmpty() ? new String[0] : head.split(":", -1);
            String[] t = tail.isEmpty() ? new String[0] : tail.split(":", -1);
            if (h.length + t.length > 7) {
                return false;
            }
            parts = new String[h.length + t.length];
            System.arraycopy(h, 0, parts, 0, h.length);
            System.arraycopy(t, 0, parts, h.length, t.length);
        } else {
            parts = s.split(":", -1);
            if (parts.length != 8) {
                return false;
            }
        }
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 4 || !p.matches("[0-9A-Fa-f]+")) {
                return false;
            }
        }
        return true;
    }
}
