package io.github.peft4j.models.chat;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * The methods of Python's {@code str} that chat templates call ({@code content.strip()},
 * {@code role.startswith('sys')}, {@code text.split('</think>')[-1]}), which Jinja2 finds on
 * Python strings and jinjava would look for on {@link String}. Placed before jinjava's own
 * resolver; anything else falls through to it.
 */
final class PythonStringMethods extends ELResolver {

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        if (!(base instanceof String s) || !(method instanceof String name)) {
            return null;
        }
        Object[] args = params == null ? new Object[0] : params;
        Object result = call(s, name, args);
        if (result != NOT_PYTHON) {
            context.setPropertyResolved(true);
        }
        return result == NOT_PYTHON ? null : result;
    }

    private static final Object NOT_PYTHON = new Object();

    private static Object call(String s, String name, Object[] args) {
        switch (name) {
            case "strip":
                return rstrip(lstrip(s, arg(args, 0)), arg(args, 0));
            case "lstrip":
                return lstrip(s, arg(args, 0));
            case "rstrip":
                return rstrip(s, arg(args, 0));
            case "startswith":
                return anyOf(args.length == 0 ? null : args[0], s::startsWith);
            case "endswith":
                return anyOf(args.length == 0 ? null : args[0], s::endsWith);
            case "upper":
                return s.toUpperCase(java.util.Locale.ROOT);
            case "lower":
                return s.toLowerCase(java.util.Locale.ROOT);
            case "capitalize":
                return s.isEmpty() ? s : s.substring(0, 1).toUpperCase(java.util.Locale.ROOT)
                        + s.substring(1).toLowerCase(java.util.Locale.ROOT);
            case "title":
                return title(s);
            case "split":
                return split(s, arg(args, 0), args.length > 1 ? ((Number) args[1]).intValue() : -1);
            case "replace":
                return args.length > 2 ? replace(s, str(args[0]), str(args[1]), ((Number) args[2]).intValue())
                        : s.replace(str(args[0]), str(args[1]));
            case "join":
                return join(s, args[0]);
            case "find":
                return (long) s.indexOf(str(args[0]));
            case "count":
                return (long) count(s, str(args[0]));
            case "isspace":
                return !s.isEmpty() && s.chars().allMatch(PythonStringMethods::isSpace);
            default:
                return NOT_PYTHON;
        }
    }

    private static String arg(Object[] args, int i) {
        return args.length > i && args[i] != null ? str(args[i]) : null;
    }

    private static String str(Object o) {
        return String.valueOf(o);
    }

    private static boolean isSpace(int c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c);
    }

    private static boolean strips(int c, String chars) {
        return chars == null ? isSpace(c) : chars.indexOf(c) >= 0;
    }

    static String lstrip(String s, String chars) {
        int i = 0;
        while (i < s.length() && strips(s.charAt(i), chars)) {
            i++;
        }
        return s.substring(i);
    }

    static String rstrip(String s, String chars) {
        int i = s.length();
        while (i > 0 && strips(s.charAt(i - 1), chars)) {
            i--;
        }
        return s.substring(0, i);
    }

    private static boolean anyOf(Object prefixes, java.util.function.Predicate<String> test) {
        if (prefixes instanceof Collection<?> c) {
            return c.stream().anyMatch(p -> test.test(str(p)));
        }
        return prefixes != null && test.test(str(prefixes));
    }

    private static String title(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        boolean previousCased = false;
        for (char c : s.toCharArray()) {
            sb.append(previousCased ? Character.toLowerCase(c) : Character.toUpperCase(c));
            previousCased = Character.isLetter(c);
        }
        return sb.toString();
    }

    /** Python's {@code str.split}: on runs of whitespace without a separator, else on the separator. */
    private static List<String> split(String s, String sep, int maxSplit) {
        List<String> out = new ArrayList<>();
        if (sep == null) {
            int i = 0;
            while (true) {
                while (i < s.length() && isSpace(s.charAt(i))) {
                    i++;
                }
                if (i == s.length()) {
                    return out;
                }
                if (maxSplit >= 0 && out.size() == maxSplit) {
                    out.add(rstrip(s.substring(i), null));
                    return out;
                }
                int j = i;
                while (j < s.length() && !isSpace(s.charAt(j))) {
                    j++;
                }
                out.add(s.substring(i, j));
                i = j;
            }
        }
        if (sep.isEmpty()) {
            throw new IllegalArgumentException("empty separator");
        }
        int from = 0;
        int at;
        while ((maxSplit < 0 || out.size() < maxSplit) && (at = s.indexOf(sep, from)) >= 0) {
            out.add(s.substring(from, at));
            from = at + sep.length();
        }
        out.add(s.substring(from));
        return out;
    }

    private static String replace(String s, String old, String replacement, int count) {
        if (count < 0) {
            return s.replace(old, replacement);
        }
        StringBuilder sb = new StringBuilder();
        int from = 0;
        int at;
        for (int n = 0; n < count && (at = s.indexOf(old, from)) >= 0; n++) {
            sb.append(s, from, at).append(replacement);
            from = at + old.length();
        }
        return sb.append(s.substring(from)).toString();
    }

    private static String join(String sep, Object items) {
        StringBuilder sb = new StringBuilder();
        Iterator<?> it = items instanceof Iterable<?> i ? i.iterator() : List.of(items).iterator();
        while (it.hasNext()) {
            sb.append(str(it.next()));
            if (it.hasNext()) {
                sb.append(sep);
            }
        }
        return sb.toString();
    }

    private static int count(String s, String sub) {
        if (sub.isEmpty()) {
            return s.length() + 1;
        }
        int n = 0;
        for (int at = s.indexOf(sub); at >= 0; at = s.indexOf(sub, at + sub.length())) {
            n++;
        }
        return n;
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return true;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {
        // read-only: nothing to set on a string
    }
}
