package io.github.peft4j.cli.registry;

import io.github.peft4j.registry.AuditEntry;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code registry rollback NAME --alias A}: moves an alias back to its previous target. */
@Command(name = "rollback", mixinStandardHelpOptions = true, description = "Move an alias back to its previous target.")
final class RollbackCommand implements Callable<Integer> {

    @Mixin
    RegistryOptions registry;

    @Parameters(index = "0", paramLabel = "NAME", description = "adapter name")
    String name;

    @Option(names = "--alias", required = true, description = "alias to move back")
    String alias;

    @Option(names = "--reason", description = "why, for the audit log")
    String reason;

    @Option(names = "--by", paramLabel = "WHO", description = "who rolls back (default: the user name)")
    String by;

    @Override
    public Integer call() {
        AuditEntry move = registry.open().rollback(name, alias, reason, by);
        registry.print(move.toJson(), Moves.describe(move));
        return 0;
    }
}
