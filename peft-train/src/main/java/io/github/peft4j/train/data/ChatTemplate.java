package io.github.peft4j.train.data;

import io.github.peft4j.core.PeftConfigException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Renders a chat into text segments with a simple, configurable template: each message becomes
 * {@code template.replace("{role}", role).replace("{content}", content)}, with a template per role
 * or one for all. The loss covers the content and the closing part of the template (the end-of-turn
 * marker) of the trained roles (by default {@code assistant}), as TRL's assistant-only loss does;
 * everything else gets label -100.
 *
 * <pre>{@code
 * ChatTemplate chatml = ChatTemplate.chatml();   // <|im_start|>{role}\n{content}<|im_end|>\n
 * ChatTemplate custom = ChatTemplate.builder()
 *         .messageTemplate("### {role}:\n{content}\n\n")
 *         .roleTemplate("system", "{content}\n\n")
 *         .trainOnRoles("assistant")
 *         .build();
 * List<TextSegment> segments = custom.render(messages, true);
 * }</pre>
 */
public final class ChatTemplate {

    /** The placeholder for the role name. */
    public static final String ROLE = "{role}";
    /** The placeholder for the message text; every template has it exactly once. */
    public static final String CONTENT = "{content}";

    private final String prefix;
    private final String messageTemplate;
    private final Map<String, String> roleTemplates;
    private final Set<String> trainedRoles;

    private ChatTemplate(Builder b) {
        this.prefix = b.prefix;
        this.messageTemplate = b.messageTemplate;
        this.roleTemplates = Map.copyOf(b.roleTemplates);
        this.trainedRoles = Set.copyOf(b.trainedRoles);
    }

    /** @return ChatML ({@code <|im_start|>role\ncontent<|im_end|>\n}), the default */
    public static ChatTemplate chatml() {
        return builder().build();
    }

    /** @return a builder starting from ChatML, trained on {@code assistant} */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the roles whose turns are trained */
    public Set<String> trainedRoles() {
        return trainedRoles;
    }

    /**
     * @param messages the chat
     * @param trainedRolesOnly whether only the trained roles' turns get labels; if {@code false}
     *     the whole rendered text is trained
     * @return the segments, in order
     */
    public List<TextSegment> render(List<ChatMessage> messages, boolean trainedRolesOnly) {
        List<TextSegment> out = new ArrayList<>();
        if (!prefix.isEmpty()) {
            out.add(new TextSegment(prefix, !trainedRolesOnly));
        }
        for (ChatMessage m : messages) {
            String template = roleTemplates.getOrDefault(m.role(), messageTemplate).replace(ROLE, m.role());
            int at = template.indexOf(CONTENT);
            String open = template.substring(0, at);
            String close = template.substring(at + CONTENT.length());
            boolean trained = !trainedRolesOnly || trainedRoles.contains(m.role());
            if (!open.isEmpty()) {
                out.add(new TextSegment(open, !trainedRolesOnly));
            }
            if (!m.content().isEmpty()) {
                out.add(new TextSegment(m.content(), trained));
            }
            if (!close.isEmpty()) {
                out.add(new TextSegment(close, trained));
            }
        }
        return out;
    }

    /**
     * @param messages the chat
     * @return the whole rendered text
     */
    public String renderText(List<ChatMessage> messages) {
        StringBuilder sb = new StringBuilder();
        for (TextSegment s : render(messages, false)) {
            sb.append(s.text());
        }
        return sb.toString();
    }

    /**
     * The text that opens an assistant turn, which a prompt ends with so that the model continues
     * with the answer ({@code add_generation_prompt=True} of transformers).
     *
     * @return the part of the {@code assistant} template before {@value #CONTENT}
     */
    public String generationPrompt() {
        String template = roleTemplates.getOrDefault("assistant", messageTemplate).replace(ROLE, "assistant");
        return template.substring(0, template.indexOf(CONTENT));
    }

    /** Options of a {@link ChatTemplate}. */
    public static final class Builder {
        private String prefix = "";
        private String messageTemplate = "<|im_start|>{role}\n{content}<|im_end|>\n";
        private final Map<String, String> roleTemplates = new LinkedHashMap<>();
        private final Set<String> trainedRoles = new LinkedHashSet<>(List.of("assistant"));

        private Builder() {}

        /**
         * @param template the template of every role without its own, with {@value #CONTENT}
         *     once and optionally {@value #ROLE}
         * @return this
         */
        public Builder messageTemplate(String template) {
            this.messageTemplate = check(template);
            return this;
        }

        /**
         * @param role a role
         * @param template its template
         * @return this
         */
        public Builder roleTemplate(String role, String template) {
            roleTemplates.put(role, check(template));
            return this;
        }

        /**
         * @param prefix text before the first message (for instance a BOS token's text); never trained
         *     when training only on roles
         * @return this
         */
        public Builder prefix(String prefix) {
            this.prefix = prefix == null ? "" : prefix;
            return this;
        }

        /**
         * @param roles the roles whose turns are trained
         * @return this
         */
        public Builder trainOnRoles(String... roles) {
            if (roles.length == 0) {
                throw new PeftConfigException("a chat template needs at least one trained role");
            }
            trainedRoles.clear();
            trainedRoles.addAll(List.of(roles));
            return this;
        }

        private static String check(String template) {
            int first = template == null ? -1 : template.indexOf(CONTENT);
            if (first < 0 || template.indexOf(CONTENT, first + 1) >= 0) {
                throw new PeftConfigException("a chat template must contain " + CONTENT
                        + " exactly once, got: " + template);
            }
            return template;
        }

        /** @return the template */
        public ChatTemplate build() {
            return new ChatTemplate(this);
        }
    }
}
