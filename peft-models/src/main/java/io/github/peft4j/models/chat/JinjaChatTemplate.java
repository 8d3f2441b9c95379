package io.github.peft4j.models.chat;

import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import io.github.peft4j.core.PeftConfigException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A Hugging Face {@code chat_template} (Jinja), rendered as transformers'
 * {@code apply_chat_template(messages, tokenize=False, add_generation_prompt=...)} renders it:
 * the same environment ({@code trim_blocks}, {@code lstrip_blocks}, {@code raise_exception},
 * {@code strftime_now}, Python's {@code tojson} and string methods), the variables
 * {@code messages}, {@code add_generation_prompt}, the tokenizer's special tokens
 * ({@code bos_token}, {@code eos_token}, ...) and no tools.
 *
 * <p>{@link #renderWithAssistantSpans} finds the assistant parts for assistant-only loss: from the
 * template's {@code {% generation %}} blocks when it has them (transformers'
 * {@code return_assistant_tokens_mask}), otherwise by rendering the chat up to each assistant turn
 * with and without it: the turn is what the full chat adds after the generation prompt.
 *
 * <pre>{@code
 * JinjaChatTemplate t = JinjaChatTemplate.of("{% for m in messages %}<|{{ m.role }}|>{{ m.content }}{% endfor %}")
 *         .withSpecialTokens(Map.of("eos_token", "</s>"));
 * String text = t.render(List.of(Map.of("role", "user", "content", "Hi")), true);
 * RenderedChat r = t.renderWithAssistantSpans(chat);
 * }</pre>
 */
public final class JinjaChatTemplate {

    private static final Pattern GENERATION_BLOCK = Pattern.compile("\\{%-?\\s*generation\\s*-?%}");

    private final String name;
    private final String source;
    private final String prepared;
    private final Map<String, String> specialTokens;

    private JinjaChatTemplate(String name, String source, Map<String, String> specialTokens) {
        this.name = name;
        this.source = source;
        this.prepared = JinjaWhitespace.apply(source);
        this.specialTokens = Map.copyOf(specialTokens);
    }

    /**
     * @param source the template text as stored in {@code tokenizer_config.json} or a {@code .jinja} file
     * @return the template, named {@code default}, with no special tokens
     */
    public static JinjaChatTemplate of(String source) {
        return of("default", source);
    }

    /**
     * @param name the template's name ({@code default}, {@code tool_use}, ...)
     * @param source the template text
     * @return the template, with no special tokens
     */
    public static JinjaChatTemplate of(String name, String source) {
        return new JinjaChatTemplate(name, normalize(source), Map.of());
    }

    /**
     * @param tokens the tokenizer's special tokens by variable name ({@code bos_token} to {@code <s>})
     * @return a copy that passes them to the template
     */
    public JinjaChatTemplate withSpecialTokens(Map<String, String> tokens) {
        return new JinjaChatTemplate(name, source, tokens);
    }

    /** @return the template's name */
    public String name() {
        return name;
    }

    /** @return the template text, with line ends as Jinja reads them */
    public String source() {
        return source;
    }

    /** @return the special tokens passed to the template */
    public Map<String, String> specialTokens() {
        return specialTokens;
    }

    /** @return whether the template marks assistant text with {@code {% generation %}} */
    public boolean hasGenerationBlocks() {
        return GENERATION_BLOCK.matcher(source).find();
    }

    /**
     * @param messages the chat: maps with at least {@code role} and {@code content}
     * @param addGenerationPrompt whether to end with the opening of an assistant turn
     * @return the rendered text
     * @throws PeftConfigException when the template refuses the chat ({@code raise_exception}) or fails
     */
    public String render(List<? extends Map<String, ?>> messages, boolean addGenerationPrompt) {
        return render(messages, addGenerationPrompt, Map.of());
    }

    /**
     * @param messages the chat
     * @param addGenerationPrompt whether to end with the opening of an assistant turn
     * @param variables further template variables ({@code date_string}, {@code enable_thinking}, ...)
     * @return the rendered text
     */
    public String render(List<? extends Map<String, ?>> messages, boolean addGenerationPrompt,
            Map<String, ?> variables) {
        return run(messages, addGenerationPrompt, variables, false);
    }

    /**
     * @param messages the chat
     * @return the chat rendered without a generation prompt, and its assistant spans
     * @throws PeftConfigException when the template is not prefix-stable and has no generation blocks
     */
    public RenderedChat renderWithAssistantSpans(List<? extends Map<String, ?>> messages) {
        return renderWithAssistantSpans(messages, Map.of());
    }

    /**
     * @param messages the chat
     * @param variables further template variables
     * @return the chat rendered without a generation prompt, and its assistant spans
     */
    public RenderedChat renderWithAssistantSpans(List<? extends Map<String, ?>> messages, Map<String, ?> variables) {
        if (hasGenerationBlocks()) {
            return fromFences(run(messages, false, variables, true));
        }
        String full = run(messages, false, variables, false);
        List<CharSpan> spans = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            if (!"assistant".equals(messages.get(i).get("role"))) {
                continue;
            }
            String upTo = run(messages.subList(0, i + 1), false, variables, false);
            String before = run(messages.subList(0, i), true, variables, false);
            if (!upTo.startsWith(before)) {
                before = run(messages.subList(0, i), false, variables, false);
            }
            if (!full.startsWith(upTo) || !upTo.startsWith(before)) {
                throw new PeftConfigException("chat template '" + name + "' renders assistant turn " + i
                        + " differently once later turns follow, so its span cannot be found by prefix; mark the"
                        + " assistant text with {% generation %} ... {% endgeneration %} as transformers requires");
            }
            if (upTo.length() > before.length()) {
                spans.add(new CharSpan(before.length(), upTo.length()));
            }
        }
        return new RenderedChat(full, spans);
    }

    private String run(List<? extends Map<String, ?>> messages, boolean addGenerationPrompt, Map<String, ?> variables,
            boolean markGeneration) {
        Map<String, Object> context = new HashMap<>(specialTokens);
        context.putAll(variables);
        List<Map<String, Object>> copies = new ArrayList<>(messages.size());
        for (Map<String, ?> m : messages) {
            copies.add(new LinkedHashMap<>(m));
        }
        context.put("messages", copies);
        context.put("add_generation_prompt", addGenerationPrompt);
        context.put(GenerationTag.MARK, markGeneration);
        RenderResult result = JinjaEnvironment.jinjava().renderForResult(prepared, context);
        for (TemplateError e : result.getErrors()) {
            if (e.getSeverity() == TemplateError.ErrorType.FATAL) {
                throw new PeftConfigException("chat template '" + name + "' "
                        + (e.getLineno() > 0 ? "(line " + e.getLineno() + ") " : "") + "failed: " + reason(e));
            }
        }
        return result.getOutput();
    }

    private static String reason(TemplateError e) {
        for (Throwable t = e.getException(); t != null; t = t.getCause()) {
            if (t instanceof JinjaEnvironment.TemplateException) {
                return t.getMessage();
            }
        }
        return e.getMessage();
    }

    private static RenderedChat fromFences(String fenced) {
        StringBuilder text = new StringBuilder(fenced.length());
        List<CharSpan> spans = new ArrayList<>();
        int open = -1;
        for (int i = 0; i < fenced.length(); i++) {
            char c = fenced.charAt(i);
            if (c == GenerationTag.OPEN) {
                open = text.length();
            } else if (c == GenerationTag.CLOSE) {
                if (open >= 0 && text.length() > open) {
                    spans.add(new CharSpan(open, text.length()));
                }
                open = -1;
            } else {
                text.append(c);
            }
        }
        return new RenderedChat(text.toString(), spans);
    }

    /**
     * Jinja2 reads a template line by line: {@code \r\n} and {@code \r} become {@code \n} and one
     * trailing newline is dropped ({@code keep_trailing_newline=False}).
     */
    static String normalize(String source) {
        String s = source.replace("\r\n", "\n").replace('\r', '\n');
        return s.endsWith("\n") ? s.substring(0, s.length() - 1) : s;
    }

    @Override
    public String toString() {
        return "JinjaChatTemplate[" + name + "]";
    }
}
