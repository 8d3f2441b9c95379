package io.github.peft4j.models.testtuner;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.github.peft4j.core.PeftConfig;

/** Config of a test-only prompt method: random virtual tokens or random per-layer prefixes. */
public final class TestPromptConfig extends PeftConfig {

    @JsonProperty("num_virtual_tokens")
    private int numVirtualTokens = 3;

    @JsonProperty("prefix")
    private boolean prefix;

    @JsonProperty("seed")
    private long seed = 1;

    private TestPromptConfig() {}

    @Override
    public String peftType() {
        return TestPromptMethod.TYPE;
    }

    public int numVirtualTokens() {
        return numVirtualTokens;
    }

    public boolean prefix() {
        return prefix;
    }

    public long seed() {
        return seed;
    }

    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder extends PeftConfig.Builder<TestPromptConfig, Builder> {
        Builder() {
            super(new TestPromptConfig());
        }

        public Builder numVirtualTokens(int n) {
            config.numVirtualTokens = n;
            return this;
        }

        public Builder prefix(boolean p) {
            config.prefix = p;
            return this;
        }

        public Builder seed(long s) {
            config.seed = s;
            return this;
        }
    }
}
