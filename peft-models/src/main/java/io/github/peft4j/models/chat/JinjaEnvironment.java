package io.github.peft4j.models.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import java.lang.reflect.Method;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import jinjava.javax.el.CompositeELResolver;

/**
 * The one jinjava engine set up as transformers' chat-template environment (its
 * {@code trim_blocks} and {@code lstrip_blocks} are applied to the text first by
 * {@link JinjaWhitespace}): the {@code raise_exception} and
 * {@code strftime_now} globals, Python's {@code tojson}, {@code str} methods and the
 * {@code {% generation %}} block.
 */
final class JinjaEnvironment {

    /** Thrown by the template's {@code raise_exception(message)}. */
    static final class TemplateException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        TemplateException(String message) {
            super(message);
        }
    }

    private static final Jinjava JINJAVA = create();

    private JinjaEnvironment() {}

    static Jinjava jinjava() {
        return JINJAVA;
    }

    private static Jinjava create() {
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonStringMethods());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withElResolver(resolver)
                .build();
        Jinjava jinjava = new Jinjava(config);
        jinjava.getGlobalContext().registerFilter(new PythonToJson());
        jinjava.getGlobalContext().registerTag(new GenerationTag());
        jinjava.getGlobalContext().registerFunction(function("raise_exception", "raiseException", String.class));
        jinjava.getGlobalContext().registerFunction(function("strftime_now", "strftimeNow", String.class));
        return jinjava;
    }

    private static ELFunctionDefinition function(String name, String method, Class<?>... parameters) {
        try {
            Method m = JinjaEnvironment.class.getDeclaredMethod(method, parameters);
            m.setAccessible(true);
            return new ELFunctionDefinition("", name, m);
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(e);
        }
    }

    /** transformers' {@code raise_exception}: the template refuses the chat. */
    static Object raiseException(String message) {
        throw new TemplateException(message);
    }

    /** transformers' {@code strftime_now}: the local time in a Python {@code strftime} format. */
    static String strftimeNow(String format) {
        return strftime(ZonedDateTime.now(), format);
    }

    /** The {@code strftime} directives chat templates use ({@code "%d %b %Y"}, {@code "%Y-%m-%d"}). */
    static String strftime(ZonedDateTime time, String format) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 == format.length()) {
                sb.append(c);
                continue;
            }
            char d = format.charAt(++i);
            String pattern = switch (d) {
                case 'd' -> "dd";
                case 'b' -> "MMM";
                case 'B' -> "MMMM";
                case 'm' -> "MM";
                case 'Y' -> "yyyy";
                case 'y' -> "yy";
                case 'H' -> "HH";
                case 'M' -> "mm";
                case 'S' -> "ss";
                case 'a' -> "EEE";
                case 'A' -> "EEEE";
                case 'p' -> "a";
                default -> null;
            };
            if (pattern == null) {
                sb.append(d == '%' ? "%" : "%" + d);
            } else {
                sb.append(DateTimeFormatter.ofPattern(pattern, Locale.ENGLISH).format(time));
            }
        }
        return sb.toString();
    }
}
