package io.github.peft4j.assets.support;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/** Writes the {@code README.md} of the support dataset, with counts taken from the data itself. */
final class SupportDataReadme {

    private SupportDataReadme() {
    }

    static String render(SupportDataGenerator.Dataset data, NorthwindPolicy policy) {
        List<SupportExample> train = data.train();
        List<SupportExample> eval = data.eval();
        StringBuilder md = new StringBuilder();
        md.append("# Customer-support dataset: ").append(policy.company()).append("\n\n")
                .append("""
                        Questions that customers ask %s, a fictional online retailer of outdoor clothing and
                        gear, each with a short answer (one to three sentences) that states the company's policy as
                        written in [POLICY.md](POLICY.md): returns, exchanges and refunds, restocking fee and final
                        sale, shipping prices, carriers and delivery times, international shipping, order status,
                        cancellations, payment, warranty, damaged or wrong items, escalation to a human, and questions
                        about the materials, care and sizing of %d products. It is the domain data of peft4j's main
                        job (`peft4j train`): fine-tuning should teach the bundled base model these answers.

                        ## Files

                        | file | lines | English | German | Spanish | prompt/completion | messages |
                        |---|---|---|---|---|---|---|
                        """.formatted(policy.company(), policy.products().size()));
        row(md, "train.jsonl", train);
        row(md, "eval.jsonl", eval);
        md.append("""

                `POLICY.md` is the policy sheet every answer follows.

                ## Format

                JSON Lines, UTF-8, one object per line, in one of two forms that both mean one user turn and one
                assistant turn:

                ```
                {"prompt": "<customer question>", "completion": "<answer>"}
                {"messages": [{"role": "user", "content": "<customer question>"}, {"role": "assistant", "content": "<answer>"}]}
                ```

                The bundled tokenizer's chat template (`assets/base-model/tokenizer_config.json`) renders either
                as `<|user|>\\n{question}<|endoftext|>\\n<|assistant|>\\n{answer}<|endoftext|>\\n`.

                ## Work for the curation step

                Everything personal is invented: e-mail addresses use the reserved domains `example.com`,
                `example.org` and `example.net`; phone numbers are US numbers in the range 555-0100 to 555-0199,
                which is reserved for fiction, written as `(503) 555-0147`, `503-555-0147`, `+1 503 555 0147` or
                `503.555.0147`; order numbers are `NW-` and six digits (sometimes written `#NW-482913`). Answers
                about an order repeat its number.

                | lines containing | train.jsonl | eval.jsonl |
                |---|---|---|
                """);
        piiRow(md, "an e-mail address", train, eval, e -> FakeContacts.EMAIL.matcher(e.prompt() + e.completion()).find());
        piiRow(md, "a phone number", train, eval, e -> FakeContacts.PHONE.matcher(e.prompt() + e.completion()).find());
        piiRow(md, "an order number", train, eval, e -> FakeContacts.ORDER.matcher(e.prompt() + e.completion()).find());
        long exact = train.stream().filter(e -> e.origin() == SupportExample.Origin.EXACT_DUPLICATE).count();
        long near = train.stream().filter(e -> e.origin() == SupportExample.Origin.NEAR_DUPLICATE).count();
        md.append("""

                Duplicates: `train.jsonl` holds %d byte-identical copies of other lines and %d near copies (the same
                answer to the same question written with other case, spacing or final punctuation, so equal after
                lower-casing and keeping only letters, digits and single spaces); every other question is unique in
                both files under that comparison. `eval.jsonl` holds no duplicates.

                ## Held out by construction

                Every topic has, in every language, question phrasings that only `eval.jsonl` uses, so no eval
                question occurs in training (the tests compare them after the normalisation above). The answers in
                both files come from the same answer phrasings, because the facts are the same, and every product
                appears in both. Eval therefore measures whether the model gives the policy's answers to questions
                it has not seen.

                ## Topics

                | topic | train | eval | policy values every answer states |
                |---|---|---|---|
                """.formatted(exact, near));
        SupportTemplates templates = SupportTemplates.load();
        for (SupportTemplates.Topic t : templates.topics()) {
            String facts = t.productFact() != null ? "the product's " + t.productFact() + " (POLICY.md, Products)"
                    : String.join(", ", t.facts().stream().map(k -> "`" + k + "`").toList());
            md.append("| ").append(t.id()).append(" | ").append(count(train, e -> e.topic().equals(t.id())))
                    .append(" | ").append(count(eval, e -> e.topic().equals(t.id()))).append(" | ").append(facts)
                    .append(" |\n");
        }
        md.append("""

                ## Licence

                Apache-2.0, like the rest of peft4j: the data is written by the project, from the templates in
                `peft-assets/src/main/resources/io/github/peft4j/assets/support/`. The company, its products and
                web addresses, and every person, e-mail address, phone number and order number are invented.

                ## Regenerate

                ```
                mvn -q install -pl peft-assets -am -DskipTests
                mvn -q -pl peft-assets exec:java@support-data
                ```

                This runs `io.github.peft4j.assets.support.SupportDataGenerator assets/data/support` with seed %d;
                the same seed gives the same bytes (the tests check the committed files against a fresh run).
                """.formatted(SupportDataGenerator.SEED));
        return md.toString();
    }

    private static void row(StringBuilder md, String name, List<SupportExample> lines) {
        Map<Language, Long> byLanguage = new LinkedHashMap<>();
        for (Language l : Language.values()) {
            byLanguage.put(l, count(lines, e -> e.language() == l));
        }
        long chat = count(lines, SupportExample::chat);
        md.append("| `").append(name).append("` | ").append(lines.size());
        for (Language l : Language.values()) {
            md.append(" | ").append(byLanguage.get(l)).append(" (").append(percent(byLanguage.get(l), lines.size()))
                    .append(")");
        }
        md.append(" | ").append(lines.size() - chat).append(" | ").append(chat).append(" |\n");
    }

    private static void piiRow(StringBuilder md, String what, List<SupportExample> train, List<SupportExample> eval,
            Predicate<SupportExample> has) {
        md.append("| ").append(what).append(" | ").append(count(train, has)).append(" | ").append(count(eval, has))
                .append(" |\n");
    }

    private static long count(List<SupportExample> lines, Predicate<SupportExample> p) {
        return lines.stream().filter(p).count();
    }

    private static String percent(long part, long whole) {
        return Math.round(100.0 * part / whole) + "%";
    }
}
