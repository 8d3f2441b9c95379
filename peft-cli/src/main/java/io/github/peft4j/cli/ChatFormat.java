package io.github.peft4j.cli;

import io.github.peft4j.train.data.ChatMessage;
import io.github.peft4j.train.data.ChatTemplate;
import io.github.peft4j.train.data.DataRecord;
import java.util.ArrayList;
import java.util.List;

/**
 * The bundled tokenizer's chat template ({@code tokenizer_config.json}): each turn is
 * {@code <|role|>\n{content}<|endoftext|>\n}, and a prompt for the model ends in
 * {@code <|assistant|>\n}. Prompt/completion records are read as one user and one assistant turn,
 * so both shapes of the support data train the same text.
 */
final class ChatFormat {

    static final ChatTemplate TEMPLATE = ChatTemplate.builder()
            .messageTemplate("<|{role}|>\n{content}<|endoftext|>\n")
            .trainOnRoles("assistant")
            .build();

    private ChatFormat() {}

    /**
     * @param question a user's question
     * @return the text the model continues with its answer
     */
    static String prompt(String question) {
        return "<|user|>\n" + question + "<|endoftext|>\n<|assistant|>\n";
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
