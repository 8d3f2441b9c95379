package io.github.peft4j.train.data;

import io.github.peft4j.core.Labels;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.models.chat.JinjaChatTemplate;
import io.github.peft4j.models.chat.RenderedChat;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns {@link DataRecord}s into token ids and labels. Each record is split into
 * {@link TextSegment}s (text; prompt + completion; a rendered chat), each segment is tokenized on
 * its own and the ids are concatenated, so the loss boundary falls exactly at the segment boundary.
 * By default the loss covers only the completion of prompt/completion data and the assistant turns
 * of chats (TRL's {@code completion_only_loss} and {@code assistant_only_loss}); an EOS token
 * (trained) ends every language-modelling example; examples are truncated to {@code maxLength}.
 *
 * <pre>{@code
 * Tokenization tok = Tokenization.builder(tokenizer).maxLength(512).build();
 * List<TokenizedExample> examples = tok.tokenizeAll(records);
 * }</pre>
 */
public final class Tokenization {

    private static final Logger LOG = LoggerFactory.getLogger(Tokenization.class);

    private final TextTokenizer tokenizer;
    private final ChatTemplate chatTemplate;
    private final JinjaChatTemplate jinjaTemplate;
    private final int maxLength;
    private final boolean addBos;
    private final boolean addEos;
    private final boolean completionOnlyLoss;
    private final List<String> classNames;

    private Tokenization(Builder b) {
        this.tokenizer = b.tokenizer;
        this.chatTemplate = b.chatTemplate;
        this.jinjaTemplate = b.jinjaTemplate;
        this.maxLength = b.maxLength;
        this.addBos = b.addBos;
        this.addEos = b.addEos;
        this.completionOnlyLoss = b.completionOnlyLoss;
        this.classNames = List.copyOf(b.classNames);
        if (addBos && tokenizer.bosTokenId().isEmpty()) {
            throw new PeftConfigException("addBos is set but the tokenizer has no BOS token");
        }
        if (addEos && tokenizer.eosTokenId().isEmpty()) {
            throw new PeftConfigException("the tokenizer has no EOS token: set addEos(false) or give it one");
        }
    }

    /**
     * @param tokenizer the model's tokenizer
     * @return a builder: ChatML, max length 1024, EOS added, no BOS, loss on completions only
     */
    public static Builder builder(TextTokenizer tokenizer) {
        return new Builder(tokenizer);
    }

    /**
     * @param record a record
     * @return its segments and whether each is trained
     */
    public List<TextSegment> segments(DataRecord record) {
        if (record instanceof DataRecord.Text t) {
            return List.of(new TextSegment(t.text(), true));
        }
        if (record instanceof DataRecord.PromptCompletion pc) {
            return List.of(new TextSegment(pc.prompt(), !completionOnlyLoss), new TextSegment(pc.completion(), true));
        }
        if (record instanceof DataRecord.Chat c) {
            return jinjaTemplate != null ? ChatSpans.segments(renderChat(c), completionOnlyLoss)
                    : chatTemplate.render(c.messages(), completionOnlyLoss);
        }
        return List.of(new TextSegment(((DataRecord.LabeledText) record).text(), false));
    }

    private RenderedChat renderChat(DataRecord.Chat chat) {
        try {
            return jinjaTemplate.renderWithAssistantSpans(ChatMessage.toMaps(chat.messages()));
        } catch (PeftConfigException e) {
            throw new PeftConfigException((chat.origin() == null ? "" : chat.origin() + ": ") + e.getMessage(), e);
        }
    }

    /**
     * A prompt and its answer turns as text, split as TRL's {@code maybe_apply_chat_template} splits a
     * preference example: the prompt rendered with the generation prompt, the answer the rest of the
     * rendered whole conversation (where a template renders the prompt differently inside the whole,
     * the prompt is the common start of both).
     *
     * <pre>{@code
     * DataRecord.PromptCompletion pc = tok.applyChatTemplate(List.of(new ChatMessage("user", "Hi")),
     *         List.of(new ChatMessage("assistant", "Hello!")), null);
     * // chatml: prompt "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", completion "Hello!<|im_end|>\n"
     * }</pre>
     *
     * @param prompt the conversation so far
     * @param completions answer turns to continue it with, each rendered after the same prompt
     * @param origin where the example came from, or {@code null}
     * @return one prompt/completion record per answer, all with the same prompt
     */
    public List<DataRecord.PromptCompletion> applyChatTemplate(List<ChatMessage> prompt,
            List<List<ChatMessage>> completions, String origin) {
        String promptText;
        List<String> wholes = new ArrayList<>();
        if (jinjaTemplate != null) {
            promptText = jinjaTemplate.render(ChatMessage.toMaps(prompt), true);
            for (List<ChatMessage> c : completions) {
                wholes.add(jinjaTemplate.render(ChatMessage.toMaps(concat(prompt, c)), false));
            }
        } else {
            promptText = chatTemplate.renderText(prompt) + chatTemplate.generationPrompt();
            for (List<ChatMessage> c : completions) {
                wholes.add(chatTemplate.renderText(concat(prompt, c)));
            }
        }
        int shared = promptText.length();
        for (String w : wholes) {
            int i = 0;
            while (i < shared && i < w.length() && w.charAt(i) == promptText.charAt(i)) {
                i++;
            }
            shared = i;
        }
        List<DataRecord.PromptCompletion> out = new ArrayList<>();
        for (String w : wholes) {
            out.add(new DataRecord.PromptCompletion(promptText.substring(0, shared), w.substring(shared), origin));
        }
        return out;
    }

    private static List<ChatMessage> concat(List<ChatMessage> a, List<ChatMessage> b) {
        List<ChatMessage> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    /** @return whether only completions and trained chat roles get labels (what preference tuning needs) */
    public boolean completionOnlyLoss() {
        return completionOnlyLoss;
    }

    /**
     * @param record a record
     * @return its ids and labels
     * @throws PeftConfigException naming the record's origin if its class label is unknown
     */
    public TokenizedExample tokenize(DataRecord record) {
        List<TextSegment> segments = segments(record);
        IntList ids = new IntList();
        IntList labels = new IntList();
        if (addBos) {
            ids.add(tokenizer.bosTokenId().getAsInt());
            labels.add(Labels.IGNORE_INDEX);
        }
        boolean lastTrained = false;
        java.util.Optional<EncodedText> whole = record instanceof DataRecord.Chat && jinjaTemplate != null
                ? tokenizer.encodeWithOffsets(ChatSpans.text(segments)) : java.util.Optional.empty();
        if (whole.isPresent()) {
            // as transformers' return_assistant_tokens_mask: the rendered chat is tokenized once and a
            // token is trained when it overlaps a trained span
            lastTrained = ChatSpans.label(whole.get(), segments, ids::add, labels::add);
        } else {
            for (TextSegment s : segments) {
                for (int id : tokenizer.encode(s.text())) {
                    ids.add(id);
                    labels.add(s.trained() ? id : Labels.IGNORE_INDEX);
                }
                lastTrained = s.trained();
            }
        }
        if (record instanceof DataRecord.LabeledText l) {
            return TokenizedExample.classification(ids.truncated(maxLength), classId(l));
        }
        if (addEos) {
            int eos = tokenizer.eosTokenId().getAsInt();
            ids.add(eos);
            labels.add(lastTrained ? eos : Labels.IGNORE_INDEX);
        }
        return TokenizedExample.languageModel(ids.truncated(maxLength), labels.truncated(maxLength));
    }

    /**
     * @param records records
     * @return their examples, in order; examples left without any trained token are dropped with a warning
     */
    public List<TokenizedExample> tokenizeAll(List<DataRecord> records) {
        List<TokenizedExample> out = new ArrayList<>(records.size());
        int empty = 0;
        for (DataRecord r : records) {
            TokenizedExample e = tokenize(r);
            if (!e.isClassification() && e.trainedTokens() == 0) {
                empty++;
                continue;
            }
            out.add(e);
        }
        if (empty > 0) {
            LOG.warn("dropped {} of {} examples with no trained token left (empty completion, or truncated to"
                    + " {} tokens before it)", empty, records.size(), maxLength);
        }
        return out;
    }

    private int classId(DataRecord.LabeledText l) {
        if (!classNames.isEmpty()) {
            int i = classNames.indexOf(l.label());
            if (i < 0) {
                throw new PeftConfigException((l.origin() == null ? "" : l.origin() + ": ") + "label '" + l.label()
                        + "' is not one of the classes " + classNames);
            }
            return i;
        }
        try {
            int id = Integer.parseInt(l.label());
            if (id >= 0) {
                return id;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new PeftConfigException((l.origin() == null ? "" : l.origin() + ": ") + "label '" + l.label()
                + "' is not a class id >= 0; name the classes with Tokenization.builder(...).classNames(...)");
    }

    /** @return the tokenizer */
    public TextTokenizer tokenizer() {
        return tokenizer;
    }

    /** @return the id used for padding: the tokenizer's PAD, else its EOS, else 0 */
    public int padTokenId() {
        OptionalInt pad = tokenizer.padTokenId();
        return pad.isPresent() ? pad.getAsInt() : tokenizer.eosTokenId().orElse(0);
    }

    /** A growable int array. */
    private static final class IntList {
        private int[] data = new int[64];
        private int size;

        void add(int v) {
            if (size == data.length) {
                data = java.util.Arrays.copyOf(data, size * 2);
            }
            data[size++] = v;
        }

        int[] truncated(int max) {
            return java.util.Arrays.copyOf(data, Math.min(size, max));
        }
    }

    /** Options of a {@link Tokenization}. */
    public static final class Builder {
        private final TextTokenizer tokenizer;
        private ChatTemplate chatTemplate = ChatTemplate.chatml();
        private JinjaChatTemplate jinjaTemplate;
        private int maxLength = 1024;
        private boolean addBos;
        private boolean addEos = true;
        private boolean completionOnlyLoss = true;
        private List<String> classNames = List.of();

        private Builder(TextTokenizer tokenizer) {
            this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
        }

        /**
         * @param template how chats are rendered
         * @return this
         */
        public Builder chatTemplate(ChatTemplate template) {
            this.chatTemplate = Objects.requireNonNull(template);
            this.jinjaTemplate = null;
            return this;
        }

        /**
         * @param template a Hugging Face chat template (a tokenizer's {@code chat_template}): chats are
         *     rendered as transformers renders them, tokenized as one text, and with completion-only
         *     loss only the assistant turns are trained (TRL's {@code assistant_only_loss}, spans from
         *     {@link JinjaChatTemplate#renderWithAssistantSpans})
         * @return this
         */
        public Builder chatTemplate(JinjaChatTemplate template) {
            this.jinjaTemplate = Objects.requireNonNull(template);
            return this;
        }

        /**
         * @param maxLength the longest example in tokens; longer ones are cut at the end
         * @return this
         */
        public Builder maxLength(int maxLength) {
            if (maxLength < 2) {
                throw new PeftConfigException("max_length must be >= 2, got " + maxLength);
            }
            this.maxLength = maxLength;
            return this;
        }

        /**
         * @param addBos whether to start each example with the BOS token (Llama-style models)
         * @return this
         */
        public Builder addBos(boolean addBos) {
            this.addBos = addBos;
            return this;
        }

        /**
         * @param addEos whether to end each language-modelling example with EOS
         * @return this
         */
        public Builder addEos(boolean addEos) {
            this.addEos = addEos;
            return this;
        }

        /**
         * @param completionOnly loss on completions and trained chat roles only (default), or on every token
         * @return this
         */
        public Builder completionOnlyLoss(boolean completionOnly) {
            this.completionOnlyLoss = completionOnly;
            return this;
        }

        /**
         * @param names the class names of classification data, in class-id order
         * @return this
         */
        public Builder classNames(List<String> names) {
            this.classNames = List.copyOf(names);
            return this;
        }

        /** @return the tokenization */
        public Tokenization build() {
            return new Tokenization(this);
        }
    }
}
