package io.github.peft4j.train.data.preference;

import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.train.data.DataRecord;
import io.github.peft4j.train.data.Tokenization;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Preference pairs to token ids and labels with the SFT data's {@link Tokenization} (its tokenizer,
 * chat template, BOS/EOS and length): each answer becomes a prompt/completion example whose prompt
 * tokens are labelled -100, as TRL's DPO tokenizes prompt and answer apart and scores the answer
 * only. Conversational pairs are rendered with the chat template first, split as TRL's
 * {@code maybe_apply_chat_template} splits them ({@link Tokenization#applyChatTemplate}).
 *
 * <pre>{@code
 * PreferenceTokenization tok = new PreferenceTokenization(Tokenization.builder(tokenizer).maxLength(256).build());
 * List<PreferenceExample> examples = tok.tokenizeAll(pairs);
 * }</pre>
 */
public final class PreferenceTokenization {

    private static final Logger LOG = LoggerFactory.getLogger(PreferenceTokenization.class);

    private final Tokenization tokenization;

    /**
     * @param tokenization the tokenization of the model's data; it must score completions only
     * @throws PeftConfigException if it trains on prompts too
     */
    public PreferenceTokenization(Tokenization tokenization) {
        this.tokenization = Objects.requireNonNull(tokenization, "tokenization");
        if (!tokenization.completionOnlyLoss()) {
            throw new PeftConfigException("preference tuning scores the answers only: the tokenization must keep"
                    + " completionOnlyLoss(true)");
        }
    }

    /**
     * @param pair a pair
     * @return its chosen and rejected answers as prompt/completion records (the same prompt text)
     */
    public List<DataRecord.PromptCompletion> records(PreferencePair pair) {
        if (pair instanceof PreferencePair.Standard s) {
            return List.of(new DataRecord.PromptCompletion(s.prompt(), s.chosen(), s.origin()),
                    new DataRecord.PromptCompletion(s.prompt(), s.rejected(), s.origin()));
        }
        PreferencePair.Conversational c = (PreferencePair.Conversational) pair;
        return tokenization.applyChatTemplate(c.prompt(), List.of(c.chosen(), c.rejected()), c.origin());
    }

    /**
     * @param pair a pair
     * @return its tokenized answers
     */
    public PreferenceExample tokenize(PreferencePair pair) {
        List<DataRecord.PromptCompletion> r = records(pair);
        return new PreferenceExample(tokenization.tokenize(r.get(0)), tokenization.tokenize(r.get(1)));
    }

    /**
     * @param pairs pairs
     * @return their examples, in order; a pair whose chosen or rejected answer has no scored token
     *     left (empty, or cut by the maximum length) is dropped with a warning
     */
    public List<PreferenceExample> tokenizeAll(List<PreferencePair> pairs) {
        List<PreferenceExample> out = new ArrayList<>(pairs.size());
        int empty = 0;
        for (PreferencePair p : pairs) {
            PreferenceExample e = tokenize(p);
            if (e.chosen().trainedTokens() == 0 || e.rejected().trainedTokens() == 0) {
                empty++;
                continue;
            }
            out.add(e);
        }
        if (empty > 0) {
            LOG.warn("dropped {} of {} preference pairs with an answer that has no token left (empty, or cut by the"
                    + " maximum length)", empty, pairs.size());
        }
        return out;
    }

    /** @return the tokenization in use */
    public Tokenization tokenization() {
        return tokenization;
    }
}
