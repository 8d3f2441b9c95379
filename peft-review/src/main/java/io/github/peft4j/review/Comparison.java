package io.github.peft4j.review;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * How often reviewers preferred one system's output to another's. A tie (the reviewer said the
 * outputs are equally good) counts as half a win; a verdict without a preference, or preferring a
 * third system, says nothing about this pair and is not counted.
 *
 * <pre>{@code
 * Comparison c = new Comparison("candidate", "base", 6, 2, 2);
 * c.winRate();              // (6 + 2/2) / 10 = 0.7
 * c.interval().low();       // 0.3968 (95% Wilson)
 * }</pre>
 *
 * @param system the first system
 * @param other the system it is compared with
 * @param wins verdicts preferring {@code system}
 * @param losses verdicts preferring {@code other}
 * @param ties verdicts calling them equal
 */
public record Comparison(String system, String other, int wins, int losses, int ties) {

    /** @return the verdicts that compared the two */
    public int judged() {
        return wins + losses + ties;
    }

    /** @return (wins + ties / 2) / judged, or {@code null} when nothing was judged */
    public Double winRate() {
        return judged() == 0 ? null : (wins + ties / 2.0) / judged();
    }

    /** @return the 95% Wilson interval of the win rate, or {@code null} when nothing was judged */
    public WilsonInterval interval() {
        return judged() == 0 ? null : WilsonInterval.of(wins + ties / 2.0, judged(), WilsonInterval.Z95);
    }

    /** @return the comparison as JSON (the keys a promotion gate reads) */
    public ObjectNode toJson() {
        ObjectNode o = ReviewJson.MAPPER.createObjectNode();
        o.put("system", system);
        o.put("other", other);
        o.put("wins", wins);
        o.put("losses", losses);
        o.put("ties", ties);
        o.put("judged", judged());
        o.put("win_rate", winRate());
        WilsonInterval ci = interval();
        o.put("ci_low", ci == null ? null : ci.low());
        o.put("ci_high", ci == null ? null : ci.high());
        return o;
    }
}
