package io.github.peft4j.assets.support;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The policy sheet of Northwind Outfitters, the fictional retailer of the support dataset: the
 * policy values (return window, shipping prices, carriers, ...) and the product catalogue, read from
 * {@code northwind-policy.json}. Every answer of the dataset states values from here, and
 * {@code POLICY.md} is written from here.
 *
 * <pre>{@code
 * NorthwindPolicy policy = NorthwindPolicy.load();
 * policy.render("free_shipping_threshold", Language.DE);   // "75 $"
 * }</pre>
 */
public final class NorthwindPolicy {

    private static final Pattern MONEY = Pattern.compile("\\$(\\d+(?:\\.\\d+)?)");
    private static final Pattern PERCENT = Pattern.compile("(\\d+)%");

    /**
     * One policy value.
     *
     * @param section heading of the policy sheet it belongs to
     * @param key name used in templates and tests
     * @param value as written in English: {@code $75}, {@code 15%}, {@code UPS Ground}, a comma list
     * @param meaning what it means for a customer
     */
    public record Fact(String section, String key, String value, String meaning) {
    }

    /**
     * A product fact in every language, with the language-neutral token every rendering contains.
     *
     * @param key the token, e.g. {@code StormShell} or {@code 30 °C}
     * @param en English sentence
     * @param de German sentence
     * @param es Spanish sentence
     */
    public record ProductFact(String key, String en, String de, String es) {
        /**
         * @param language a language
         * @return the sentence in it
         */
        public String text(Language language) {
            return switch (language) {
                case EN -> en;
                case DE -> de;
                case ES -> es;
            };
        }
    }

    /**
     * A product of the catalogue.
     *
     * @param name its name, the same in every language
     * @param material what it is made of
     * @param care how to clean it
     * @param sizing fit and sizes
     */
    public record Product(String name, ProductFact material, ProductFact care, ProductFact sizing) {
        /**
         * @param kind {@code material}, {@code care} or {@code sizing}
         * @return that fact
         */
        public ProductFact fact(String kind) {
            return switch (kind) {
                case "material" -> material;
                case "care" -> care;
                case "sizing" -> sizing;
                default -> throw new IllegalArgumentException("no product fact '" + kind + "'");
            };
        }
    }

    private record Sheet(String company, String about, List<Fact> facts, List<Product> products) {
    }

    private final Sheet sheet;
    private final Map<String, Fact> byKey = new LinkedHashMap<>();

    private NorthwindPolicy(Sheet sheet) {
        this.sheet = sheet;
        for (Fact f : sheet.facts()) {
            byKey.put(f.key(), f);
        }
    }

    /** @return the policy bundled with peft4j */
    public static NorthwindPolicy load() {
        try (InputStream in = NorthwindPolicy.class.getResourceAsStream("northwind-policy.json")) {
            ObjectMapper json = new ObjectMapper()
                    .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                    .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
            return new NorthwindPolicy(json.readValue(in, Sheet.class));
        } catch (IOException e) {
            throw new UncheckedIOException("bundled resource northwind-policy.json", e);
        }
    }

    /** @return the company name */
    public String company() {
        return sheet.company();
    }

    /** @return a sentence about the company */
    public String about() {
        return sheet.about();
    }

    /** @return the policy values, in sheet order */
    public List<Fact> facts() {
        return sheet.facts();
    }

    /** @return the product catalogue */
    public List<Product> products() {
        return sheet.products();
    }

    /**
     * @param key a policy key
     * @return the fact
     * @throws IllegalArgumentException if there is none
     */
    public Fact fact(String key) {
        Fact f = byKey.get(key);
        if (f == null) {
            throw new IllegalArgumentException("no policy value '" + key + "'; known: " + byKey.keySet());
        }
        return f;
    }

    /**
     * @param key a policy key
     * @param language the language of the answer
     * @return the value as that language writes it (amounts, percentages and lists localised)
     */
    public String render(String key, Language language) {
        String value = fact(key).value();
        Matcher m = MONEY.matcher(value);
        if (m.matches()) {
            return language.money(m.group(1));
        }
        m = PERCENT.matcher(value);
        if (m.matches()) {
            return language.percent(m.group(1));
        }
        if (value.contains(", ")) {
            return language.list(List.of(value.split(", ")));
        }
        return value;
    }
}
