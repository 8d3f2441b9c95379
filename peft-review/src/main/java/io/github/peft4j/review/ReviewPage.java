package io.github.peft4j.review;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The page a reviewer opens: one self-contained HTML file (CSS, script and the sheet's data inline,
 * nothing fetched), showing each prompt, its reference answer and the outputs under their blinded
 * labels; which system wrote which output is not in the page. The reviewer's marks are kept in the
 * browser's {@code localStorage} and saved as verdict JSONL ({@link Verdict}).
 *
 * <pre>{@code
 * Files.writeString(dir.resolve("review.html"), ReviewPage.render(sheet));
 * }</pre>
 */
public final class ReviewPage {

    private static final String TEMPLATE = resource("review-page.html");
    private static final String CSS = resource("review-page.css");
    private static final String SCRIPT = resource("review-page.js");

    private ReviewPage() {}

    /**
     * @param sheet the sheet
     * @return the page's HTML
     */
    public static String render(ReviewSheet sheet) {
        ObjectNode data = ReviewJson.MAPPER.createObjectNode();
        data.put("sheet", sheet.id());
        ArrayNode flags = data.putArray("flags");
        for (Flag f : Flag.values()) {
            flags.addObject().put("key", f.key()).put("label", f.label());
        }
        ArrayNode items = data.putArray("items");
        for (ReviewItem item : sheet.items()) {
            ObjectNode o = items.addObject().put("id", item.id()).put("prompt", item.prompt()).put("reference", item.reference());
            ArrayNode outputs = o.putArray("outputs");
            for (Map.Entry<String, String> e : item.outputs().entrySet()) {
                outputs.addObject().put("label", e.getKey()).put("text", e.getValue());
            }
        }
        // "<" only occurs inside JSON strings, where \u003c means the same: no "</script>" can end the block early
        String json = ReviewJson.line(data).replace("<", "\\u003c");
        return TEMPLATE.replace("@TITLE@", sheet.id()).replace("/*@CSS@*/", CSS).replace("/*@JS@*/", SCRIPT)
                .replace("@DATA@", json);
    }

    private static String resource(String name) {
        try (InputStream in = ReviewPage.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("the peft-review jar lacks its resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the resource " + name, e);
        }
    }
}
