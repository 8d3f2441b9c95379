package io.github.peft4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.peft4j.core.files.AtomicFiles;
import io.github.peft4j.train.data.ChatMessage;
import io.github.peft4j.train.data.DataRecord;
import io.github.peft4j.train.data.JsonlReader;
import io.github.peft4j.train.data.preference.PreferencePair;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A synthetic preference set from the bundled support data: for each chat (or prompt/completion)
 * the prompt is the conversation up to its last answer, {@code chosen} is that answer (it states
 * the policy of {@code POLICY.md}), and {@code rejected} a plausible violation of the policy: the
 * same answer with its policy values changed to wrong ones (90 days instead of 30, a 30% fee
 * instead of 15%...), or, for an answer without a policy value, a reply that breaks a rule (asks
 * for the full card number, refuses a return the policy allows, promises what it does not offer).
 * Written in TRL's conversational format.
 *
 * <pre>{@code
 * java -cp peft-cli/target/peft-cli-0.1.0-SNAPSHOT.jar:peft-cli/target/lib/'*' \
 *     io.github.peft4j.cli.SyntheticPreferences assets/data/support/train.jsonl runs/prefs/train.jsonl 42
 * }</pre>
 */
final class SyntheticPreferences {

    /** Policy values and a wrong value of the same shape, longest first so that {@code 6.95} wins over {@code 6}. */
    private static final String[][] WRONG = {
        {"14.95", "29.95"}, {"14,95", "29,95"}, {"24.95", "49.95"}, {"24,95", "49,95"}, {"6.95", "12.95"},
        {"6,95", "12,95"}, {"3–5", "7–12"}, {"6–10", "14–21"}, {"30", "90"}, {"14", "60"}, {"24", "72"},
        {"60", "10"}, {"15", "30"}, {"40", "20"}, {"75", "150"}, {"5", "15"}, {"2", "4"}, {"1", "5"},
    };
    private static final Pattern VALUE;

    static {
        StringBuilder alternatives = new StringBuilder();
        for (String[] w : WRONG) {
            alternatives.append(alternatives.length() == 0 ? "" : "|").append(Pattern.quote(w[0]));
        }
        // a whole number: not part of an order number, a product name (30L), a size range or a decimal
        VALUE = Pattern.compile("(?<![\\w.,–-])(" + alternatives + ")(?!\\w|[.,–-]\\d)");
    }

    /** Rule-breaking replies for answers without a policy value. */
    private static final String[] VIOLATIONS = {
        "Please send me your full card number, the expiry date and the security code so I can look into this.",
        "Sorry, all sales are final. We do not accept returns or exchanges.",
        "No problem, I've refunded you in cash and you can keep the item. Anything else?",
        "I can't help with that. Please call our premium support line, the first call is only $19.99.",
    };

    private SyntheticPreferences() {}

    /**
     * @param records support records (chats or prompt/completion pairs)
     * @param seed the seed of the rule-breaking replies
     * @return one pair per record with an answer
     */
    static List<PreferencePair> fromSupport(List<DataRecord> records, long seed) {
        Random random = new Random(seed);
        List<PreferencePair> out = new ArrayList<>();
        for (DataRecord r : ChatFormat.asChats(records)) {
            if (!(r instanceof DataRecord.Chat chat)) {
                continue;
            }
            List<ChatMessage> m = chat.messages();
            int last = m.size() - 1;
            while (last >= 0 && !m.get(last).role().equals("assistant")) {
                last--;
            }
            if (last <= 0) {
                continue;
            }
            String chosen = m.get(last).content();
            out.add(PreferencePair.Conversational.ofAnswers(m.subList(0, last), chosen, violate(chosen, random)));
        }
        return out;
    }

    /**
     * @param answer a policy-compliant answer
     * @param random the source of rule-breaking replies
     * @return the answer with every policy value wrong, or a rule-breaking reply if it has none
     */
    static String violate(String answer, Random random) {
        Matcher matcher = VALUE.matcher(answer);
        StringBuilder sb = new StringBuilder();
        boolean changed = false;
        while (matcher.find()) {
            for (String[] w : WRONG) {
                if (w[0].equals(matcher.group(1))) {
                    matcher.appendReplacement(sb, Matcher.quoteReplacement(w[1]));
                    changed = true;
                    break;
                }
            }
        }
        matcher.appendTail(sb);
        return changed ? sb.toString() : VIOLATIONS[random.nextInt(VIOLATIONS.length)];
    }

    /**
     * @param pairs pairs
     * @param file the JSONL file to write, TRL's conversational format
     */
    static void write(List<PreferencePair> pairs, Path file) {
        ObjectMapper json = new ObjectMapper();
        StringBuilder sb = new StringBuilder();
        try {
            for (PreferencePair p : pairs) {
                PreferencePair.Conversational c = (PreferencePair.Conversational) p;
                Map<String, Object> line = new LinkedHashMap<>();
                line.put("prompt", ChatMessage.toMaps(c.prompt()));
                line.put("chosen", ChatMessage.toMaps(c.chosen()));
                line.put("rejected", ChatMessage.toMaps(c.rejected()));
                sb.append(json.writeValueAsString(line)).append('\n');
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        AtomicFiles.write(file, sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * @param args the support JSONL, the preference JSONL to write, and optionally the seed (42)
     */
    public static void main(String[] args) {
        if (args.length < 2) {
            System.err.println("usage: SyntheticPreferences SUPPORT.jsonl OUT.jsonl [SEED]");
            System.exit(2);
        }
        List<DataRecord> records = JsonlReader.builder().build().read(Path.of(args[0])).records();
        List<PreferencePair> pairs = fromSupport(records, args.length > 2 ? Long.parseLong(args[2]) : 42);
        write(pairs, Path.of(args[1]));
        System.out.printf("%d preference pairs from %s -> %s%n", pairs.size(), args[0], args[1]);
    }
}
