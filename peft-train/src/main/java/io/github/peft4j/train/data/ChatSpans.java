package io.github.peft4j.train.data;

import io.github.peft4j.core.Labels;
import io.github.peft4j.models.chat.CharSpan;
import io.github.peft4j.models.chat.RenderedChat;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * From a rendered chat's assistant spans to segments and token labels: the bridge between
 * {@link RenderedChat} (characters) and {@link Tokenization} (tokens).
 */
final class ChatSpans {

    private ChatSpans() {}

    /**
     * @param chat a rendered chat
     * @param assistantOnly whether only the assistant spans are trained
     * @return the text cut at the span boundaries, each piece trained or not
     */
    static List<TextSegment> segments(RenderedChat chat, boolean assistantOnly) {
        String text = chat.text();
        if (!assistantOnly) {
            return List.of(new TextSegment(text, true));
        }
        List<TextSegment> out = new ArrayList<>();
        int at = 0;
        for (CharSpan s : chat.assistantSpans()) {
            if (s.start() > at) {
                out.add(new TextSegment(text.substring(at, s.start()), false));
            }
            out.add(new TextSegment(text.substring(s.start(), s.end()), true));
            at = s.end();
        }
        if (at < text.length()) {
            out.add(new TextSegment(text.substring(at), false));
        }
        return out;
    }

    /** @return the segments' text joined */
    static String text(List<TextSegment> segments) {
        StringBuilder sb = new StringBuilder();
        segments.forEach(s -> sb.append(s.text()));
        return sb.toString();
    }

    /**
     * Labels the tokens of the whole text: a token is trained when its characters overlap a trained
     * segment (transformers marks the tokens from the one holding a span's first character to the
     * one holding its last).
     *
     * @param encoded the tokens of {@link #text(List)}
     * @param segments the segments
     * @param ids receives the ids
     * @param labels receives the labels
     * @return whether the last token is trained
     */
    static boolean label(EncodedText encoded, List<TextSegment> segments, IntConsumer ids, IntConsumer labels) {
        List<int[]> trained = new ArrayList<>();
        int at = 0;
        for (TextSegment s : segments) {
            if (s.trained()) {
                trained.add(new int[] {at, at + s.text().length()});
            }
            at += s.text().length();
        }
        boolean last = false;
        for (int i = 0; i < encoded.ids().length; i++) {
            last = false;
            for (int[] span : trained) {
                if (encoded.starts()[i] < span[1] && span[0] < encoded.ends()[i]) {
                    last = true;
                    break;
                }
            }
            ids.accept(encoded.ids()[i]);
            labels.accept(last ? encoded.ids()[i] : Labels.IGNORE_INDEX);
        }
        return last;
    }
}
