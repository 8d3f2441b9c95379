package io.github.peft4j.cli.registry;

import io.github.peft4j.registry.VersionDiff;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code registry diff A B}: config keys and metadata that differ between two versions. */
@Command(name = "diff", mixinStandardHelpOptions = true, description = "Compare two versions' configs and metadata.")
final class DiffCommand implements Callable<Integer> {

    @Mixin
    RegistryOptions registry;

    @Parameters(index = "0", paramLabel = "LEFT", description = "a version reference")
    String left;

    @Parameters(index = "1", paramLabel = "RIGHT", description = "another version reference")
    String right;

    @Override
    public Integer call() {
        VersionDiff diff = registry.open().diff(left, right);
        Table t = new Table("FIELD", diff.left(), diff.right());
        diff.changes().forEach(c -> t.row(c.field(), shorten(c.left()), shorten(c.right())));
        registry.print(diff.toJson(), diff.changes().isEmpty() ? "no differences" : t.toString());
        return 0;
    }

    private static String shorten(String s) {
        return s == null || s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }
}
