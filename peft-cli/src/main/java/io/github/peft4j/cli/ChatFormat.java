package io.github.peft4j.cli;

import io.github.peft4j.models.tokenizer.HfTokenizer;
import io.github.peft4j.train.data.ChatMessage;
import io.github.peft4j.train.data.ChatTemplate;
import io.github.peft4j.train.data.DataRecord;
import io.github.peft4j.train.data.TextTokenizer;
import io.github.peft4j.train.data.Tokenization;
import java.util.ArrayList;
import java.util.List;

/**
 * How the commands format chats: with the model's own Hugging Face chat template (the
 * {@code chat_template} of its {@code tokenizer_config.json}, as {@code apply_chat_template}), and
 * for a model without one the bundled format, each turn {@code <|role|>\n{content}<|endoftext|>\n}
 * and a prompt ending in {@code <|assistant|>\n} (the bundled base ships that format as its own
 * template). Prompt/completion records are read as one user and one assistant turn, so both shapes
 * of the support data train the same text.
 */
final class ChatFormat {

    /** The format of a model without a chat template of its own. */
    static final ChatTemplate TEMPLATE = ChatTemplate.builder()
            .messageTemplate("<|{role}|>\n{content}<|endoftext|>\n")
            .trainOnRoles("assistant")
            .build();

    private ChatFormat() {}

    /**
     * @param tokenizer the model's tokenizer, with its chat template if it has one
     * @param question a user's question
     * @return the text the model continues with its answer
     */
    static String prompt(HfTokenizer tokenizer, String question) {
        return tokenizer.chatTemplate()
                .map(t -> t.render(List.of(new ChatMessage("user", question).toMap()), true))
                .orElseGet(() -> "<|user|>\n" + question + "<|endoftext|>\n<|assistant|>\n");
    }

    /**
     * @param tokenization the data pipeline's tokenization options
     * @param tokenizer the model's tokenizer
     * @return the options, chats in the tokenizer's template (assistant-only loss from its spans), else the
     *     bundled format
     */
    static Tokenization.Builder apply(Tokenization.Builder tokenization, TextTokenizer tokenizer) {
        return tokenizer.chatTemplate().map(tokenization::chatTemplate).orElseGet(() -> tokenization.chatTemplate(TEMPLATE));
    }

    /**
     * @param records records as read
     * @return the same records with prompt/completion pairs turned into two-turn chats
     */
    static List<DataRecord> asChats(List<DataRecord> records) {
        List<DataRecord> out = new ArrayList<>(records.size());
        for (DataRecord r : records) {
            if (r instanceof DataRecord.PromptCompletion pc) {
                out.add(new DataRecord.Chat(List.of(new ChatMessage("user", pc.prompt()),
                        new ChatMessage("assistant", pc.completion()))));
            } else {
                out.add(r);
            }
        }
        return out;
    }

    /**
     * @param record a record
     * @return its first user question, or {@code null} if it has none
     */
    static String question(DataRecord record) {
        if (record instanceof DataRecord.PromptCompletion pc) {
            return pc.prompt();
        }
        if (record instanceof DataRecord.Chat c) {
            return c.messages().stream().filter(m -> m.role().equals("user")).map(ChatMessage::content)
                    .findFirst().orElse(null);
        }
        return null;
    }
}
