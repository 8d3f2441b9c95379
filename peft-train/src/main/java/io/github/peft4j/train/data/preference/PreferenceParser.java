package io.github.peft4j.train.data.preference;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.peft4j.train.data.BadLineException;
import io.github.peft4j.train.data.BadLineReason;
import io.github.peft4j.train.data.ChatMessage;
import io.github.peft4j.train.data.JsonLine;
import io.github.peft4j.train.data.JsonlReader;
import java.nio.file.Path;
import java.util.List;

/**
 * One JSONL line in TRL's preference formats to a {@link PreferencePair}: standard
 * ({@code "prompt"}, {@code "chosen"}, {@code "rejected"} strings) or conversational (the same keys
 * holding {@code [{"role","content"}]} lists). Without {@code "prompt"} the prompt is implicit, as
 * TRL's {@code extract_prompt}: the longest common start of chosen and rejected (whole messages,
 * or characters, a space before the first difference going to the answers). Other keys are ignored.
 * Read whole files with {@link #read(Path, boolean)}: bad lines name file and line as for SFT data.
 *
 * <pre>{@code
 * List<PreferencePair> pairs = PreferenceParser.read(Path.of("prefs.jsonl"), true).records();
 * }</pre>
 */
public final class PreferenceParser {

    private PreferenceParser() {}

    /**
     * @param file a JSONL file of preference pairs
     * @param strict whether the first bad line is an error (otherwise bad lines are skipped and counted)
     * @return the pairs, each with its {@code file:line} origin
     * @throws io.github.peft4j.core.PeftFormatException naming the file and line of a bad line (strict)
     */
    public static JsonlReader.Parsed<PreferencePair> read(Path file, boolean strict) {
        return JsonlReader.builder().strict(strict).build().read(file, PreferenceParser::parse);
    }

    /**
     * @param line the JSON text of one line
     * @param origin where it came from, or {@code null}
     * @return the pair
     * @throws BadLineException if the line is not a preference pair
     */
    public static PreferencePair parse(String line, String origin) throws BadLineException {
        JsonNode node = JsonLine.object(line);
        if (!node.has("chosen") && !node.has("rejected")) {
            throw new BadLineException(BadLineReason.UNKNOWN_SHAPE, "expected a preference pair {\"prompt\","
                    + " \"chosen\", \"rejected\"}; found keys " + JsonLine.keys(node));
        }
        for (String key : List.of("chosen", "rejected")) {
            if (!node.has(key)) {
                throw new BadLineException(BadLineReason.MISSING_KEY, "missing \"" + key + "\" (keys present: "
                        + JsonLine.keys(node) + ")");
            }
        }
        boolean conversational = node.get("chosen").isArray();
        for (String key : List.of("prompt", "rejected")) {
            JsonNode v = node.get(key);
            if (v != null && v.isArray() != conversational) {
                throw new BadLineException(BadLineReason.WRONG_TYPE, "\"" + key + "\" must be "
                        + (conversational ? "a message list, as \"chosen\" is" : "a string, as \"chosen\" is")
                        + "; found " + v.getNodeType());
            }
        }
        return conversational ? conversational(node, origin) : standard(node, origin);
    }

    private static PreferencePair standard(JsonNode node, String origin) throws BadLineException {
        String chosen = JsonLine.string(node, "chosen");
        String rejected = JsonLine.string(node, "rejected");
        if (node.has("prompt")) {
            return new PreferencePair.Standard(JsonLine.string(node, "prompt"), chosen, rejected, origin);
        }
        int at = 0;
        int n = Math.min(chosen.length(), rejected.length());
        while (at < n && chosen.charAt(at) == rejected.charAt(at)) {
            at++;
        }
        if (at < n && at > 0 && chosen.charAt(at - 1) == ' ') {
            at--;
        }
        return new PreferencePair.Standard(chosen.substring(0, at), chosen.substring(at), rejected.substring(at),
                origin);
    }

    private static PreferencePair conversational(JsonNode node, String origin) throws BadLineException {
        List<ChatMessage> chosen = JsonLine.messages(node.get("chosen"), "chosen");
        List<ChatMessage> rejected = JsonLine.messages(node.get("rejected"), "rejected");
        if (node.has("prompt")) {
            return new PreferencePair.Conversational(JsonLine.messages(node.get("prompt"), "prompt"), chosen, rejected,
                    origin);
        }
        int at = 0;
        while (at < Math.min(chosen.size(), rejected.size()) && chosen.get(at).equals(rejected.get(at))) {
            at++;
        }
        if (at == chosen.size() || at == rejected.size()) {
            throw new BadLineException(BadLineReason.WRONG_TYPE, "\"chosen\" and \"rejected\" must differ after"
                    + " their shared prompt turns");
        }
        return new PreferencePair.Conversational(chosen.subList(0, at), chosen.subList(at, chosen.size()),
                rejected.subList(at, rejected.size()), origin);
    }
}
