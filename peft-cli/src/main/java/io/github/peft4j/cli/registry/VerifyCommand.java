package io.github.peft4j.cli.registry;

import io.github.peft4j.registry.VerifyReport;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code registry verify}: hashes every blob; exit status 1 if anything is missing or corrupt. */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = "Hash every blob and check every version; exits 1 if anything is missing or corrupt.")
final class VerifyCommand implements Callable<Integer> {

    @Mixin
    RegistryOptions registry;

    @Override
    public Integer call() {
        VerifyReport r = registry.open().verify();
        StringBuilder sb = new StringBuilder(String.format("%s: %d versions, %d blobs, %d problems, %d unreferenced blobs,"
                + " %d stale temporary files", r.ok() ? "ok" : "CORRUPT", r.versions(), r.blobs(), r.problems().size(),
                r.unreferenced().size(), r.staleTemporaries().size()));
        r.problems().forEach(p -> sb.append("\n  ").append(p));
        registry.print(r.toJson(), sb.toString());
        return r.ok() ? 0 : 1;
    }
}
