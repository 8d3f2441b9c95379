package io.github.peft4j.core.fingerprint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.peft4j.core.PeftFormatException;
import io.github.peft4j.core.safetensors.SafetensorsCheckpoint;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The identity of a base model, which an adapter version records so that it is never applied to a
 * base it was not trained on (DESIGN.md §6). Two forms, told apart by their prefix:
 * <ul>
 *   <li>{@code sha256:<hex>} for a checkpoint directory: SHA-256 of a manifest with one line
 *   {@code "<file name> <sha256 of the file>\n"} for {@code config.json}, then one per weight file in
 *   name order (the shards {@code model.safetensors.index.json} names, or else every
 *   {@code *.safetensors} in the directory). Each file is hashed streaming. Tokenizer files and the
 *   index itself are left out: they do not change what the weights compute.</li>
 *   <li>{@code hf:<name>@<revision>} when only the Hugging Face name and revision are known (a
 *   commit hash pins the bytes just as well as hashing them).</li>
 * </ul>
 *
 * <pre>{@code
 * BaseModelFingerprint base = BaseModelFingerprint.of(Path.of("assets/base-model"));
 * BaseModelFingerprint hub = BaseModelFingerprint.ofHub("meta-llama/Llama-3.2-1B", "4e20de36");
 * }</pre>
 *
 * @param value the fingerprint in one of the two forms
 */
public record BaseModelFingerprint(String value) {

    /** Prefix of a fingerprint computed from files. */
    public static final String SHA256_PREFIX = "sha256:";
    /** Prefix of a fingerprint naming a Hugging Face repository and revision. */
    public static final String HUB_PREFIX = "hf:";

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * @param value a fingerprint in one of the two forms
     * @throws PeftFormatException if it has neither form
     */
    public BaseModelFingerprint {
        boolean fileForm = value != null && value.startsWith(SHA256_PREFIX) && Sha256.isHex(value.substring(SHA256_PREFIX.length()));
        boolean hubForm = value != null && value.startsWith(HUB_PREFIX) && value.indexOf('@') > HUB_PREFIX.length()
                && value.indexOf('@') < value.length() - 1;
        if (!fileForm && !hubForm) {
            throw new PeftFormatException(null, null, "'" + value + "' is not a base-model fingerprint;"
                    + " expected sha256:<64 hex digits> or hf:<name>@<revision>");
        }
    }

    /**
     * @param modelDir a Hugging Face checkpoint directory
     * @return the fingerprint of its config and weight files
     * @throws PeftFormatException naming the file if {@code config.json} or the weights are missing
     */
    public static BaseModelFingerprint of(Path modelDir) {
        StringBuilder manifest = new StringBuilder();
        for (Path file : filesOf(modelDir)) {
            manifest.append(file.getFileName()).append(' ').append(Sha256.ofFile(file)).append('\n');
        }
        return new BaseModelFingerprint(SHA256_PREFIX + Sha256.of(manifest.toString().getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * @param name a Hugging Face repository name
     * @param revision a commit hash, tag or branch
     * @return the fingerprint naming them
     */
    public static BaseModelFingerprint ofHub(String name, String revision) {
        return new BaseModelFingerprint(HUB_PREFIX + name + "@" + revision);
    }

    /**
     * The files a fingerprint covers, in hashing order.
     *
     * @param modelDir a checkpoint directory
     * @return {@code config.json}, then the weight files sorted by name
     */
    public static List<Path> filesOf(Path modelDir) {
        Path config = modelDir.resolve("config.json");
        if (!Files.isRegularFile(config)) {
            throw new PeftFormatException(config, null, "missing: a base model directory needs its config.json");
        }
        List<Path> files = new ArrayList<>();
        files.add(config);
        for (String name : weightFileNames(modelDir)) {
            Path file = modelDir.resolve(name);
            if (!Files.isRegularFile(file)) {
                throw new PeftFormatException(file, null, "missing: named by " + SafetensorsCheckpoint.INDEX_FILE);
            }
            files.add(file);
        }
        return files;
    }

    private static TreeSet<String> weightFileNames(Path modelDir) {
        TreeSet<String> names = new TreeSet<>();
        Path index = modelDir.resolve(SafetensorsCheckpoint.INDEX_FILE);
        if (Files.isRegularFile(index)) {
            JsonNode map;
            try {
                map = JSON.readTree(index.toFile()).get("weight_map");
            } catch (IOException e) {
                throw new PeftFormatException(index, null, "not valid JSON: " + e.getMessage(), e);
            }
            if (map == null || !map.isObject()) {
                throw new PeftFormatException(index, "weight_map", "missing or not an object");
            }
            for (Iterator<JsonNode> it = map.elements(); it.hasNext(); ) {
                String shard = it.next().asText();
                if (shard.contains("/") || shard.contains("\\")) {
                    throw new PeftFormatException(index, "weight_map", "shard '" + shard + "' is not a file name in the directory");
                }
                names.add(shard);
            }
        } else {
            try (Stream<Path> list = Files.list(modelDir)) {
                list.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".safetensors")).forEach(names::add);
            } catch (IOException e) {
                throw new PeftFormatException(modelDir, null, "cannot list: " + e.getMessage(), e);
            }
        }
        if (names.isEmpty()) {
            throw new PeftFormatException(modelDir, null, "no weights: expected " + SafetensorsCheckpoint.SINGLE_FILE
                    + ", shards with " + SafetensorsCheckpoint.INDEX_FILE + ", or other *.safetensors files");
        }
        return names;
    }

    @Override
    public String toString() {
        return value;
    }
}
