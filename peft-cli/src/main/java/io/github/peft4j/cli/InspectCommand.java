package io.github.peft4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.peft4j.core.io.AdapterDirectory;
import io.github.peft4j.core.safetensors.SafetensorsFile;
import io.github.peft4j.core.safetensors.TensorInfo;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * Describes an adapter directory without loading a model: type, base, targets, tensors,
 * parameters, size and the SHA-256 of the weights.
 *
 * <pre>{@code
 * peft4j inspect runs/latest
 * }</pre>
 */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Describe an adapter directory: type, targets, parameters, size, sha256.")
final class InspectCommand implements Callable<Integer> {

    @Parameters(paramLabel = "ADAPTER_DIR", description = "adapter directory")
    Path dir;

    @Override
    public Integer call() throws IOException {
        Inputs.requireDir(dir, "adapter directory");
        Inputs.requireFile(dir.resolve("adapter_config.json"), "adapter config");
        describe(dir, "default");
        try (Stream<Path> children = Files.list(dir)) {
            for (Path sub : children.sorted().toList()) {
                // named adapters live in sub-directories; trainer checkpoints are not adapters of this run
                if (Files.isRegularFile(sub.resolve("adapter_config.json"))
                        && !sub.getFileName().toString().startsWith("checkpoint-")) {
                    System.out.println();
                    describe(sub, sub.getFileName().toString());
                }
            }
        }
        return 0;
    }

    private static void describe(Path adapterDir, String name) throws IOException {
        AdapterDirectory.Contents contents = AdapterDirectory.readForLoading(adapterDir);   // validates the pair and the sizes
        JsonNode config = new ObjectMapper().readTree(adapterDir.resolve("adapter_config.json").toFile());
        Path weights = contents.weightsFile();
        long params = 0;
        int tensors = 0;
        TreeSet<String> dtypes = new TreeSet<>();
        try (SafetensorsFile file = SafetensorsFile.open(weights)) {
            for (String tensor : file.names()) {
                TensorInfo info = file.info(tensor);
                long n = 1;
                for (long d : info.shape()) {
                    n *= d;
                }
                params += n;
                tensors++;
                dtypes.add(info.dtype().toString());
            }
        }
        long bytes = Files.size(weights) + Files.size(adapterDir.resolve("adapter_config.json"));
        System.out.println("adapter        " + name + " (" + adapterDir + ")");
        System.out.println("peft_type      " + contents.config().peftType());
        field(config, "task_type", "task_type");
        field(config, "base_model", "base_model_name_or_path");
        System.out.println("target_modules " + targets(config.path("target_modules")));
        for (String key : List.of("r", "lora_alpha", "lora_dropout", "use_dora", "use_rslora", "bias",
                "modules_to_save", "num_virtual_tokens")) {
            if (config.has(key) && !config.get(key).isNull()) {
                JsonNode v = config.get(key);
                System.out.printf("%-14s %s%n", key, v.isTextual() ? v.asText() : v.toString());
            }
        }
        System.out.printf("tensors        %d (%s)%n", tensors, String.join(", ", dtypes));
        System.out.printf("parameters     %,d%n", params);
        System.out.printf("size           %,d bytes (config + weights)%n", bytes);
        System.out.println("sha256         " + sha256(weights) + "  " + weights.getFileName());
    }

    private static void field(JsonNode config, String label, String key) {
        JsonNode v = config.get(key);
        if (v != null && !v.isNull()) {
            System.out.printf("%-14s %s%n", label, v.asText());
        }
    }

    private static String targets(JsonNode node) {
        if (node.isMissingNode() || node.isNull()) {
            return "(none)";
        }
        if (node.isTextual()) {
            return node.asText();
        }
        TreeSet<String> names = new TreeSet<>();
        node.forEach(n -> names.add(n.asText()));
        return String.join(", ", names);
    }

    static String sha256(Path file) throws IOException {
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
            byte[] buf = new byte[1 << 16];
            while (in.read(buf) >= 0) {
                // digest as we read
            }
            return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK always has SHA-256", e);
        }
    }
}
