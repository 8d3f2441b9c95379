package io.github.peft4j.train.preference;

import io.github.peft4j.train.data.Batching;
import io.github.peft4j.train.data.TextTokenizer;
import io.github.peft4j.train.data.Tokenization;
import io.github.peft4j.train.data.preference.PreferenceDataset;
import io.github.peft4j.train.data.preference.PreferencePair;
import io.github.peft4j.train.data.preference.PreferenceTokenization;
import java.util.List;

/**
 * Preference pairs in the tiny tokenizer's vocabulary. The tiny model sees two tokens back, so no
 * two pairs prefer opposite answers after the same words ({@code answer :}).
 */
final class PreferenceFixtures {

    private PreferenceFixtures() {}

    static final List<PreferencePair> PAIRS = List.of(
            new PreferencePair.Standard("question : what color is the ball", " answer : red", " answer : blue"),
            new PreferencePair.Standard("question : what color is the mat", " answer : red", " answer : no"),
            new PreferencePair.Standard("question : is the dog big", " answer : yes", " answer : no"),
            new PreferencePair.Standard("question : is the cat big", " answer : yes", " answer : blue"),
            new PreferencePair.Standard("please help my order", " your refund is on it .", " no"),
            new PreferencePair.Standard("hello", " hello world", " the dog ran"),
            new PreferencePair.Standard("question : is the ball small", " answer : yes", " answer : no it is big"),
            new PreferencePair.Standard("the cat sat on", " the mat", " the park"));

    static PreferenceDataset dataset(TextTokenizer tokenizer, List<PreferencePair> pairs) {
        PreferenceTokenization t = new PreferenceTokenization(Tokenization.builder(tokenizer).build());
        return new PreferenceDataset(t.tokenizeAll(pairs), Batching.builder(0).build());
    }
}
