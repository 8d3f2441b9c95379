package io.github.peft4j.core.targeting;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** PEFT's "Target modules ... not found" errors, with the module paths that do exist. */
final class NoMatchMessage {

    private static final int MAX_LISTED_PATHS = 50;
    private static final int MAX_LISTED_NAMES = 100;

    private NoMatchMessage() {}

    /** The message listing why nothing matched and which module paths exist. */
    static String of(TargetMatcher m, List<String> existing, int excluded, int unmatched) {
        StringBuilder msg = new StringBuilder();
        if (excluded > 0 && unmatched == 0) {
            msg.append("All modules were excluded, so target_modules ").append(m.targets())
                    .append(" were not found among the remaining modules. This is likely unintended: check ")
                    .append(exclusionFields(m)).append('.');
        } else if (excluded == 0 && m.targets().isNames() && m.targets().names().isEmpty()) {
            msg.append("target_modules is an empty list, so no target modules were found in the base model; "
                    + "name the modules to adapt.");
        } else if (excluded == 0) {
            msg.append("Target modules ").append(m.targets())
                    .append(" not found in the base model. Please check the target modules and try again.");
        } else {
            msg.append("No modules were targeted for adaptation: target_modules ").append(m.targets())
                    .append(" were not found among the modules left after exclusion (").append(excluded)
                    .append(" excluded). Check ").append(exclusionFields(m))
                    .append("; modules in modules_to_save are never targeted.");
        }
        if (m.layersToTransform() != null) {
            msg.append(" Note: you specified layers_to_transform ").append(m.layersToTransform()).append('.');
        }
        if (m.layersPattern() != null) {
            msg.append(" You also specified layers_pattern ").append(m.layersPattern()).append('.');
        }
        appendExisting(msg, existing);
        return msg.toString();
    }

    private static String exclusionFields(TargetMatcher m) {
        StringBuilder sb = new StringBuilder("target_modules");
        if (m.exclude() != null) {
            sb.append(", exclude_modules ").append(m.exclude());
        }
        if (m.modulesToSave() != null) {
            sb.append(", modules_to_save ").append(m.modulesToSave());
        }
        return sb.toString();
    }

    private static void appendExisting(StringBuilder msg, List<String> existing) {
        if (existing.isEmpty()) {
            msg.append(" The base model has no named modules (0 module paths).");
            return;
        }
        msg.append(" The base model has ").append(existing.size()).append(" module paths: ");
        int shown = Math.min(existing.size(), MAX_LISTED_PATHS);
        msg.append(String.join(", ", existing.subList(0, shown)));
        if (shown < existing.size()) {
            // The last segments are what a list of target names usually needs, and they stay few.
            Set<String> names = new LinkedHashSet<>();
            for (String path : existing) {
                names.add(path.substring(path.lastIndexOf('.') + 1));
            }
            List<String> nameList = new ArrayList<>(names);
            msg.append(", ... (").append(existing.size() - shown).append(" more). Distinct module names (")
                    .append(nameList.size()).append("): ")
                    .append(String.join(", ", nameList.subList(0, Math.min(nameList.size(), MAX_LISTED_NAMES))));
            if (nameList.size() > MAX_LISTED_NAMES) {
                msg.append(", ... (").append(nameList.size() - MAX_LISTED_NAMES).append(" more)");
            }
        }
        msg.append('.');
    }
}
