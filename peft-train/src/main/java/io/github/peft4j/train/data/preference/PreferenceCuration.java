package io.github.peft4j.train.data.preference;

import io.github.peft4j.train.curation.CurationReport;
import io.github.peft4j.train.curation.Curator;
import io.github.peft4j.train.data.ChatMessage;
import io.github.peft4j.train.data.DataRecord;
import java.util.ArrayList;
import java.util.List;

/**
 * Curation of preference pairs with the {@link Curator} of SFT data: exact and near dedup over the
 * whole pair (prompt, chosen and rejected together: two pairs with the same prompt and different
 * answers are both kept unless they are near-identical), then personal data replaced by
 * placeholders in every text of the pair.
 *
 * <p>The curator works on {@link DataRecord}s: each pair travels as a chat whose message roles say
 * which part of the pair a text belongs to ({@code chosen:assistant}), so dedup keys keep prompt,
 * chosen and rejected apart and the pair is rebuilt exactly afterwards.
 *
 * <pre>{@code
 * PreferenceCuration.Result r = PreferenceCuration.curate(Curator.defaults(), pairs, 0);
 * System.out.println(r.report().toMarkdown());
 * }</pre>
 */
public final class PreferenceCuration {

    private static final String STANDARD = "standard";
    private static final char SEPARATOR = ':';
    private static final List<String> PARTS = List.of("prompt", "chosen", "rejected");

    private PreferenceCuration() {}

    /**
     * @param pairs the curated pairs, in input order
     * @param report what curation did (records are pairs)
     */
    public record Result(List<PreferencePair> pairs, CurationReport report) {}

    /**
     * @param curator the curation steps
     * @param pairs pairs in order
     * @param skippedBadLines bad lines the reader skipped, for the report
     * @return the curated pairs and the report
     */
    public static Result curate(Curator curator, List<PreferencePair> pairs, int skippedBadLines) {
        List<DataRecord> records = pairs.stream().<DataRecord>map(PreferenceCuration::asRecord).toList();
        Curator.Result r = curator.curate(records, skippedBadLines);
        List<PreferencePair> out = new ArrayList<>(r.records().size());
        for (DataRecord record : r.records()) {
            out.add(fromRecord((DataRecord.Chat) record));
        }
        return new Result(List.copyOf(out), r.report());
    }

    /** @return the pair as a chat of its texts, each role naming the part: {@code chosen:assistant}, {@code prompt:standard} */
    static DataRecord.Chat asRecord(PreferencePair pair) {
        List<ChatMessage> messages = new ArrayList<>();
        if (pair instanceof PreferencePair.Standard s) {
            List<String> texts = s.texts();
            for (int i = 0; i < PARTS.size(); i++) {
                messages.add(new ChatMessage(PARTS.get(i) + SEPARATOR + STANDARD, texts.get(i)));
            }
        } else {
            PreferencePair.Conversational c = (PreferencePair.Conversational) pair;
            List<List<ChatMessage>> parts = List.of(c.prompt(), c.chosen(), c.rejected());
            for (int i = 0; i < PARTS.size(); i++) {
                for (ChatMessage m : parts.get(i)) {
                    messages.add(new ChatMessage(PARTS.get(i) + SEPARATOR + m.role(), m.content()));
                }
            }
        }
        return new DataRecord.Chat(messages, pair.origin());
    }

    /** @return the pair {@link #asRecord} made the chat from (with the chat's texts) */
    static PreferencePair fromRecord(DataRecord.Chat chat) {
        List<List<ChatMessage>> parts = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        boolean standard = false;
        for (ChatMessage m : chat.messages()) {
            int cut = m.role().indexOf(SEPARATOR);
            String role = m.role().substring(cut + 1);
            standard = role.equals(STANDARD);
            parts.get(PARTS.indexOf(m.role().substring(0, cut))).add(new ChatMessage(role, m.content()));
        }
        if (standard) {
            return new PreferencePair.Standard(parts.get(0).get(0).content(), parts.get(1).get(0).content(),
                    parts.get(2).get(0).content(), chat.origin());
        }
        return new PreferencePair.Conversational(parts.get(0), parts.get(1), parts.get(2), chat.origin());
    }
}
