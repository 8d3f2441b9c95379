package io.github.peft4j.cli;

import java.util.List;

/** The tuning methods the CLI can train today, and a clear refusal for the rest. */
final class Methods {

    static final List<String> SUPPORTED = List.of("lora", "dora");
    static final List<String> PLANNED = List.of("ia3", "bottleneck", "prefix", "prompt", "ptuning", "bitfit");

    private Methods() {}

    static void requireSupported(String method) {
        String m = method.toLowerCase(java.util.Locale.ROOT);
        if (SUPPORTED.contains(m)) {
            return;
        }
        if (PLANNED.contains(m)) {
            throw new UserError("--method " + method + " is not supported by the CLI yet; use one of " + SUPPORTED);
        }
        throw new UserError("unknown --method " + method + "; expected one of " + SUPPORTED);
    }
}
