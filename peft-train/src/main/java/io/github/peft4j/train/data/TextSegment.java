package io.github.peft4j.train.data;

/**
 * A piece of an example's text and whether the loss covers its tokens; an example is the
 * concatenation of its segments, each tokenized on its own so that the loss boundary falls
 * exactly between tokens.
 *
 * <pre>{@code
 * List.of(new TextSegment("Q: 2+2?\nA:", false), new TextSegment(" 4", true));
 * }</pre>
 *
 * @param text the text
 * @param trained whether its tokens get labels (otherwise -100)
 */
public record TextSegment(String text, boolean trained) {}
