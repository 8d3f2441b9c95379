package io.github.peft4j.assets.support;

/**
 * Writes {@code POLICY.md}, the human-readable policy sheet of the dataset, from
 * {@link NorthwindPolicy}. Its two tables are also what the tests hold every answer against.
 */
final class PolicySheet {

    private PolicySheet() {
    }

    static String render(NorthwindPolicy policy) {
        StringBuilder md = new StringBuilder();
        md.append("# ").append(policy.company()).append(": customer-support policy sheet\n\n")
                .append(policy.about()).append("\n\nThe company, its products, web addresses and every person,")
                .append(" e-mail address, phone number\nand order number in this folder are invented.\n\n")
                .append("This sheet is the single source of truth of the support dataset beside it: every answer in\n")
                .append("`train.jsonl` and `eval.jsonl` states the values below for its topic (amounts and percentages\n")
                .append("written the local way in German and Spanish: `75 $`, `15 %`), and the tests of `peft-assets`\n")
                .append("check that it does. It is generated, with the data, by `SupportDataGenerator`.\n");
        String section = null;
        for (NorthwindPolicy.Fact f : policy.facts()) {
            if (!f.section().equals(section)) {
                section = f.section();
                md.append("\n## ").append(section).append("\n\n| key | value | meaning |\n|---|---|---|\n");
            }
            md.append("| `").append(f.key()).append("` | ").append(f.value()).append(" | ").append(f.meaning())
                    .append(" |\n");
        }
        md.append("\n## Products\n\nProduct names are the same in every language. The key is the token every answer")
                .append(" about that fact\ncontains in every language; the text is the English answer.\n\n")
                .append("| product | fact | key | text |\n|---|---|---|---|\n");
        for (NorthwindPolicy.Product p : policy.products()) {
            for (String kind : new String[] {"material", "care", "sizing"}) {
                NorthwindPolicy.ProductFact f = p.fact(kind);
                md.append("| ").append(p.name()).append(" | ").append(kind).append(" | ").append(f.key())
                        .append(" | ").append(f.en()).append(" |\n");
            }
        }
        return md.toString();
    }
}
