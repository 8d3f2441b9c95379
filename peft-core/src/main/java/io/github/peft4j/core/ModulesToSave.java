package io.github.peft4j.core;

import java.util.List;

/**
 * A config with PEFT's {@code modules_to_save}: modules trained in full, one copy per adapter,
 * saved with the adapter (a classification head, say). {@link PeftModel} applies it after the
 * method's injection for any tuner whose config implements this — tuners do nothing for it.
 *
 * <pre>{@code
 * public final class MyConfig extends PeftConfig implements ModulesToSave {
 *     @JsonProperty("modules_to_save") private List<String> modulesToSave;
 *     public List<String> modulesToSave() { return modulesToSave; }
 * }
 * }</pre>
 */
public interface ModulesToSave {

    /**
     * @return module names (a path or its last segments, as PEFT matches them) trained in full, or
     *     {@code null} / empty for none
     */
    List<String> modulesToSave();
}
