package io.github.peft4j.lora.init;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.JsonNode;
import io.github.peft4j.core.PeftConfigException;
import java.util.Locale;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The value of PEFT's {@code init_lora_weights}: a JSON boolean or string. peft4j implements
 * {@code true} (Kaiming-uniform A, zero B: the adapter starts as a no-op), {@code false} (random A
 * and B, for debugging), {@code "gaussian"} (A ~ N(0, 1/r), zero B), {@code "pissa"} and
 * {@code "pissa_niter_N"} (principal singular components moved from W into A and B) and
 * {@code "olora"} (QR of W moved into A and B). Other PEFT values (eva, corda, loftq, orthogonal,
 * mica, lora_ga) are read but rejected by {@link LoraConfig#validate()}.
 *
 * <pre>{@code
 * LoraConfig config = LoraConfig.builder().initLoraWeights(InitLoraWeights.of("pissa_niter_4")).build();
 * config.initLoraWeights().pissaIterations(); // OptionalInt[4]
 * }</pre>
 */
public final class InitLoraWeights {

    /** PEFT's default: Kaiming-uniform A, zero B. */
    public static final InitLoraWeights TRUE = new InitLoraWeights(Boolean.TRUE);

    /** Random A and B (not a no-op; for debugging). */
    public static final InitLoraWeights FALSE = new InitLoraWeights(Boolean.FALSE);

    /** A ~ N(0, 1/r), zero B. */
    public static final InitLoraWeights GAUSSIAN = new InitLoraWeights("gaussian");

    /** PiSSA with an exact SVD. */
    public static final InitLoraWeights PISSA = new InitLoraWeights("pissa");

    /** OLoRA: QR decomposition of the base weight. */
    public static final InitLoraWeights OLORA = new InitLoraWeights("olora");

    private static final Pattern PISSA_NITER = Pattern.compile("pissa_niter_(\\d+)");

    /** The value exactly as in JSON: a {@link Boolean} or a {@link String}. */
    private final Object value;

    private InitLoraWeights(Object value) {
        this.value = value;
    }

    /**
     * @param value {@code true} or {@code false}
     * @return the matching constant
     */
    public static InitLoraWeights of(boolean value) {
        return value ? TRUE : FALSE;
    }

    /**
     * @param value a PEFT string such as {@code "gaussian"}, {@code "pissa"}, {@code "pissa_niter_16"} or
     *     {@code "olora"}; any string is kept (unsupported ones fail validation with a clear message)
     * @return the value
     */
    public static InitLoraWeights of(String value) {
        return new InitLoraWeights(Objects.requireNonNull(value, "init_lora_weights"));
    }

    /**
     * Jackson entry point: a JSON boolean or string.
     *
     * @param node the JSON value
     * @return the value
     */
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    public static InitLoraWeights fromJson(JsonNode node) {
        if (node != null && node.isBoolean()) {
            return of(node.booleanValue());
        }
        if (node != null && node.isTextual()) {
            return of(node.textValue());
        }
        throw new IllegalArgumentException("init_lora_weights must be true, false or a string, got " + node);
    }

    /** @return the JSON value: a Boolean or a String */
    @JsonValue
    public Object toJson() {
        return value;
    }

    /** @return whether this is PEFT's {@code true} (the default, an exact no-op at start) */
    public boolean isDefault() {
        return Boolean.TRUE.equals(value);
    }

    /** @return whether this is {@code false} (random A and B) */
    public boolean isRandom() {
        return Boolean.FALSE.equals(value);
    }

    /** @return whether this is {@code "gaussian"} (case-insensitive, as PEFT compares it) */
    public boolean isGaussian() {
        return value instanceof String s && s.toLowerCase(Locale.ROOT).equals("gaussian");
    }

    /** @return whether this is {@code "olora"} (case-insensitive, as PEFT compares it) */
    public boolean isOlora() {
        return value instanceof String s && s.toLowerCase(Locale.ROOT).equals("olora");
    }

    /** @return whether this is {@code "pissa"} or {@code "pissa_niter_N"} */
    public boolean isPissa() {
        return value instanceof String s && (s.equals("pissa") || PISSA_NITER.matcher(s).matches());
    }

    /**
     * @return the subspace iterations of {@code "pissa_niter_N"}, or empty for the exact
     *     {@code "pissa"} and every other value
     */
    public OptionalInt pissaIterations() {
        if (value instanceof String s) {
            Matcher m = PISSA_NITER.matcher(s);
            if (m.matches()) {
                try {
                    return OptionalInt.of(Integer.parseInt(m.group(1)));
                } catch (NumberFormatException e) {
                    return OptionalInt.empty();
                }
            }
        }
        return OptionalInt.empty();
    }

    /** @return whether the initialisation rewrites the base weight (PiSSA, OLoRA) */
    public boolean mutatesBaseWeight() {
        return isPissa() || isOlora();
    }

    /** @return whether this is {@code true} or {@code false}, the only values PEFT allows with {@code lora_bias} */
    public boolean isBoolean() {
        return value instanceof Boolean;
    }

    /**
     * @throws PeftConfigException if peft4j does not implement this initialisation
     */
    public void requireSupported() {
        if (isBoolean() || isGaussian() || isOlora()) {
            return;
        }
        if (isPissa()) {
            if (pissaIterations().isEmpty() && !"pissa".equals(value)) {
                throw new PeftConfigException("init_lora_weights='" + value + "': the iteration count is too large");
            }
            return;
        }
        if (value instanceof String s && s.startsWith("pissa")) {
            throw new PeftConfigException("init_lora_weights should be 'pissa' or 'pissa_niter_[number of iters]', got '"
                    + s + "' instead");
        }
        throw new PeftConfigException("init_lora_weights=" + describe() + " is not supported by peft4j; use true, false,"
                + " 'gaussian', 'pissa', 'pissa_niter_N' or 'olora' (data-driven and quantisation-aware initialisations"
                + " such as eva, corda, loftq, lora_ga, as well as orthogonal and mica, are not implemented)");
    }

    private String describe() {
        return value instanceof String ? "'" + value + "'" : String.valueOf(value);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof InitLoraWeights other && value.equals(other.value);
    }

    @Override
    public int hashCode() {
        return value.hashCode();
    }

    @Override
    public String toString() {
        return describe();
    }
}
