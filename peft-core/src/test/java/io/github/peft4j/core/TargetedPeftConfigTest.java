package io.github.peft4j.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.peft4j.core.targeting.TargetModules;
import java.util.List;
import org.junit.jupiter.api.Test;

class TargetedPeftConfigTest {

    /** The smallest targeted tuner config. */
    static final class ProbeConfig extends TargetedPeftConfig {
        @Override
        public String peftType() {
            return "PROBE";
        }

        static final class Builder extends TargetedPeftConfig.Builder<ProbeConfig, Builder> {
            Builder() {
                super(new ProbeConfig());
            }
        }
    }

    @Test
    void buildersFillTargetsAndExclusionsOnIndependentCopies() {
        ProbeConfig.Builder builder = new ProbeConfig.Builder();
        ProbeConfig none = builder.build();
        ProbeConfig listed = builder.targetModules(List.of("q_proj", "v_proj"))
                .excludeModules(TargetModules.names("model.layers.0.self_attn.q_proj")).build();
        ProbeConfig regex = builder.targetModules(TargetModules.regex(".*\\.mlp\\..*")).build();

        assertNull(none.targetModules());
        assertNull(none.excludeModules());
        assertEquals(List.of("q_proj", "v_proj"), listed.targetModules().names());
        assertEquals(List.of("model.layers.0.self_attn.q_proj"), listed.excludeModules().names());
        assertEquals(true, regex.targetModules().isRegex());
        assertEquals(List.of("q_proj", "v_proj"), listed.targetModules().names(), "a later build changed an earlier copy");
        assertEquals(List.of("k_proj"), new ProbeConfig.Builder().targetModules("k_proj").build().targetModules().names());
    }

    @Test
    void excludingAllLinearIsRefusedAsPeftDoes() {
        PeftConfigException e = assertThrows(PeftConfigException.class,
                () -> new ProbeConfig.Builder().excludeModules(TargetModules.allLinear()).build());
        assertEquals("exclude_modules cannot be 'all-linear'", e.getMessage());
    }
}
