package io.github.peft4j.models.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.tag.Tag;
import com.hubspot.jinjava.tree.Node;
import com.hubspot.jinjava.tree.TagNode;

/**
 * transformers' {@code {% generation %} ... {% endgeneration %}} block, which marks the text the
 * assistant generates. Rendered normally it is just its body; when spans are asked for, the body is
 * fenced with two private-use characters that {@link JinjaChatTemplate} turns into
 * {@link CharSpan}s and removes.
 */
final class GenerationTag implements Tag {

    private static final long serialVersionUID = 1L;

    /** Context variable that switches the fences on. */
    static final String MARK = "__peft4j_mark_generation";
    /** Opens a generated part. */
    static final char OPEN = '\uE000';
    /** Closes a generated part. */
    static final char CLOSE = '\uE001';

    @Override
    public String getName() {
        return "generation";
    }

    @Override
    public String getEndTagName() {
        return "endgeneration";
    }

    @Override
    public String interpret(TagNode tagNode, JinjavaInterpreter interpreter) {
        StringBuilder body = new StringBuilder();
        for (Node child : tagNode.getChildren()) {
            body.append(child.render(interpreter).getValue());
        }
        if (!Boolean.TRUE.equals(interpreter.getContext().get(MARK))) {
            return body.toString();
        }
        return OPEN + body.toString() + CLOSE;
    }
}
