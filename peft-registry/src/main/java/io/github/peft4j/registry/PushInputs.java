package io.github.peft4j.registry;

import io.github.peft4j.core.PeftConfig;
import io.github.peft4j.core.PeftException;
import io.github.peft4j.core.PeftFormatException;
import io.github.peft4j.core.fingerprint.BaseModelFingerprint;
import io.github.peft4j.core.io.AdapterConfigJson;
import io.github.peft4j.core.io.AdapterDirectory;
import java.nio.file.Path;

/**
 * What a push reads and derives before it writes anything, each refusal naming the adapter
 * directory or the field at fault: {@link AdapterRegistry#push} checks all of it before the first
 * blob is stored, so that a refused push leaves the registry as it was (issue 24).
 */
final class PushInputs {

    private PushInputs() {}

    /** {@link AdapterDirectory#read}, its errors naming the directory ("no PeftMethod registered for 'X'" did not). */
    static AdapterDirectory.Contents readAdapter(Path dir) {
        try {
            return AdapterDirectory.read(dir);
        } catch (PeftException e) {
            if (String.valueOf(e.getMessage()).contains(dir.toString())) {
                throw e;
            }
            throw new RegistryException("cannot push adapter " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * @return the lineage's base fingerprint, else the config's {@code hf:<base_model_name_or_path>@<revision>},
     *     else {@code null}
     * @throws PeftException naming the lineage value, or the config file and key, if it is not a fingerprint
     */
    static String baseFingerprint(Lineage lineage, PeftConfig config, Path adapterDir) {
        if (lineage.baseFingerprint() != null) {
            String base = new BaseModelFingerprint(lineage.baseFingerprint()).value();
            RegistryText.check("base_fingerprint", base, RegistryText.UNLIMITED);
            return base;
        }
        if (config.baseModelNameOrPath() != null && config.revision() != null) {
            try {
                String base = BaseModelFingerprint.ofHub(config.baseModelNameOrPath(), config.revision()).value();
                RegistryText.check("base_fingerprint", base, RegistryText.UNLIMITED);
                return base;
            } catch (PeftException e) {
                throw new PeftFormatException(adapterDir.resolve(AdapterConfigJson.FILE_NAME), "base_model_name_or_path",
                        "with revision '" + config.revision() + "' does not name a base model: " + e.getMessage(), e);
            }
        }
        return null;
    }
}
