package io.github.peft4j.assets.support;

/**
 * The languages of the support dataset, with what the policy values need to be written in each:
 * {@code $6.95} in English is {@code 6,95 $} in German and Spanish, {@code 15%} is {@code 15 %}.
 */
public enum Language {
    /** English. */
    EN("en", "English", "and", false),
    /** German. */
    DE("de", "German", "und", true),
    /** Spanish. */
    ES("es", "Spanish", "y", true);

    private final String code;
    private final String displayName;
    private final String and;
    private final boolean continental;

    Language(String code, String displayName, String and, boolean continental) {
        this.code = code;
        this.displayName = displayName;
        this.and = and;
        this.continental = continental;
    }

    /** @return the ISO 639-1 code, as used in the template files */
    public String code() {
        return code;
    }

    /** @return the English name */
    public String displayName() {
        return displayName;
    }

    /**
     * @param dollars an amount as written in the policy sheet, e.g. {@code 6.95}
     * @return it with the currency sign, as this language writes it
     */
    public String money(String dollars) {
        return continental ? dollars.replace('.', ',') + " $" : "$" + dollars;
    }

    /**
     * @param number a whole number
     * @return the percentage as this language writes it
     */
    public String percent(String number) {
        return continental ? number + " %" : number + "%";
    }

    /**
     * @param items the items of a list
     * @return "a, b, c and d" in this language
     */
    public String list(java.util.List<String> items) {
        if (items.size() == 1) {
            return items.get(0);
        }
        return String.join(", ", items.subList(0, items.size() - 1)) + " " + and + " " + items.get(items.size() - 1);
    }
}
