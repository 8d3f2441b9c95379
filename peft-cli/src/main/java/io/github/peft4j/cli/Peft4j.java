package io.github.peft4j.cli;

import ai.djl.engine.EngineException;
import io.github.peft4j.core.PeftException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code peft4j} command: fine-tune, inspect, merge and run adapters from a shell.
 *
 * <pre>{@code
 * peft4j train                      # the main job on the bundled model and data
 * peft4j generate --adapter runs/latest/adapter "How long do returns take?"
 * }</pre>
 */
@Command(name = "peft4j", mixinStandardHelpOptions = true, version = "peft4j 0.1.0-SNAPSHOT",
        description = "Parameter-efficient fine-tuning for the JVM.",
        subcommands = {TrainCommand.class, GenerateCommand.class, EvalCommand.class, InspectCommand.class,
                MergeCommand.class, PretrainCommand.class, io.github.peft4j.cli.registry.RegistryCommand.class, ServeCommand.class,
                ReviewCommand.class})
public final class Peft4j {

    private Peft4j() {}

    /**
     * Runs the command line and exits with its status.
     *
     * @param args the arguments
     */
    public static void main(String[] args) {
        System.exit(run(args));
    }

    /**
     * Runs the command line in this JVM (tests call this).
     *
     * @param args the arguments
     * @return the exit status: 0 on success, 1 for a user error, 2 for bad usage
     */
    public static int run(String... args) {
        Offline.enforce();
        CommandLine cli = new CommandLine(new Peft4j());
        cli.setExecutionExceptionHandler(Peft4j::oneLineError);
        return cli.execute(args);
    }

    /** Problems a user can cause end in one line on stderr, not a stack trace; bugs keep theirs. */
    private static int oneLineError(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) throws Exception {
        if (e instanceof PeftException || e instanceof UserError) {
            return printOneLine(cmd, e.getMessage());
        }
        if (e instanceof EngineException) {
            // what a file or an option asked the engine for (an allocation too large, a device it lacks)
            return printOneLine(cmd, "the engine refused: " + e.getMessage().lines().findFirst().orElse(""));
        }
        throw e;
    }

    private static int printOneLine(CommandLine cmd, String message) {
        PrintWriter err = cmd.getErr();
        err.println("peft4j " + cmd.getCommandName() + ": " + message);
        err.flush();
        return 1;
    }
}
