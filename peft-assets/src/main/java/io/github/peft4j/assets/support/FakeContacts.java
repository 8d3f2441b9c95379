package io.github.peft4j.assets.support;

import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;

/**
 * Contact details that look real but belong to no one, for the personal data the curation step has
 * to find: e-mail addresses at the reserved domains {@code example.com}, {@code example.org} and
 * {@code example.net} (RFC 2606), US phone numbers in the range 555-0100 to 555-0199 that is
 * reserved for fiction, and Northwind order numbers {@code NW-} followed by six digits.
 *
 * <pre>{@code
 * FakeContacts contacts = new FakeContacts(new Random(9));
 * contacts.email(Language.DE);   // e.g. "lea.weber@example.org"
 * contacts.phone();              // e.g. "(503) 555-0147"
 * }</pre>
 */
public final class FakeContacts {

    /** Every e-mail address this class makes matches this. */
    public static final Pattern EMAIL = Pattern.compile("[a-z0-9.]+@example\\.(?:com|org|net)");
    /** Every phone number this class makes matches this. */
    public static final Pattern PHONE = Pattern.compile(
            "\\(\\d{3}\\) 555-01\\d\\d|\\d{3}-555-01\\d\\d|\\+1 \\d{3} 555 01\\d\\d|\\d{3}\\.555\\.01\\d\\d");
    /** Every order number this class makes matches this. */
    public static final Pattern ORDER = Pattern.compile("NW-\\d{6}");

    private static final List<String> DOMAINS = List.of("example.com", "example.org", "example.net");
    private static final List<String> AREA_CODES = List.of("206", "212", "305", "312", "415", "503", "617", "720");
    private static final List<String> FIRST_EN = List.of("anna", "james", "maria", "david", "sarah", "michael",
            "emily", "chris", "laura", "kevin", "olivia", "daniel");
    private static final List<String> LAST_EN = List.of("smith", "johnson", "lee", "brown", "garcia", "miller",
            "davis", "wilson", "moore", "taylor");
    private static final List<String> FIRST_DE = List.of("lukas", "sophie", "jonas", "lea", "felix", "hannah",
            "paul", "mia", "jan", "katrin");
    private static final List<String> LAST_DE = List.of("mueller", "schmidt", "schneider", "fischer", "weber",
            "wagner", "becker", "hoffmann", "koch", "richter");
    private static final List<String> FIRST_ES = List.of("lucia", "pablo", "sofia", "alejandro", "carmen",
            "javier", "elena", "diego", "marta", "sergio");
    private static final List<String> LAST_ES = List.of("garcia", "martinez", "lopez", "sanchez", "gonzalez",
            "perez", "rodriguez", "fernandez", "ruiz", "diaz");

    private final Random random;

    /** @param random the source of randomness (seeded, for a reproducible dataset) */
    public FakeContacts(Random random) {
        this.random = random;
    }

    /**
     * @param language picks plausible names for the customer's language
     * @return an address at a reserved example domain
     */
    public String email(Language language) {
        List<String> first = switch (language) {
            case EN -> FIRST_EN;
            case DE -> FIRST_DE;
            case ES -> FIRST_ES;
        };
        List<String> last = switch (language) {
            case EN -> LAST_EN;
            case DE -> LAST_DE;
            case ES -> LAST_ES;
        };
        String f = pick(first);
        String l = pick(last);
        String domain = pick(DOMAINS);
        return switch (random.nextInt(3)) {
            case 0 -> f + "." + l + "@" + domain;
            case 1 -> f + l + (10 + random.nextInt(90)) + "@" + domain;
            default -> f.charAt(0) + l + "@" + domain;
        };
    }

    /** @return a fictional US number, in one of four common formats */
    public String phone() {
        String area = pick(AREA_CODES);
        String line = "01" + String.format("%02d", random.nextInt(100));
        return switch (random.nextInt(4)) {
            case 0 -> "(" + area + ") 555-" + line;
            case 1 -> area + "-555-" + line;
            case 2 -> "+1 " + area + " 555 " + line;
            default -> area + ".555." + line;
        };
    }

    /** @return an order number, {@code NW-} and six digits */
    public String orderNumber() {
        return "NW-" + (100000 + random.nextInt(900000));
    }

    private String pick(List<String> options) {
        return options.get(random.nextInt(options.size()));
    }
}
