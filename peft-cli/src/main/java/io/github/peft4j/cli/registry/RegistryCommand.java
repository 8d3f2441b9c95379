package io.github.peft4j.cli.registry;

import picocli.CommandLine.Command;

/**
 * {@code peft4j registry}: versioned adapters with lineage, aliases, promotion gates and rollback
 * (docs/registry.md walks through the lifecycle).
 *
 * <pre>{@code
 * peft4j registry push support runs/latest/adapter --report runs/latest/report.json
 * peft4j registry promote support:1 --alias production --min-gain-over-base 100
 * peft4j registry rollback support --alias production
 * }</pre>
 */
@Command(name = "registry", mixinStandardHelpOptions = true,
        description = "Versioned adapters: push, list, show, diff, promote, rollback, audit, verify, export, gc.",
        subcommands = {PushCommand.class, ListCommand.class, ShowCommand.class, DiffCommand.class, PromoteCommand.class,
                RollbackCommand.class, AuditCommand.class, VerifyCommand.class, ExportCommand.class, GcCommand.class})
public final class RegistryCommand {
}
