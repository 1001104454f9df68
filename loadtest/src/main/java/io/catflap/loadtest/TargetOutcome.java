package io.catflap.loadtest;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one target did under the load: its run, or with {@code --hostile} its clean run and its run beside the hostile
 * connections.
 *
 * @param run the run; with {@code --hostile}, the clean one
 * @param underAttack the run beside the hostile connections, or null without {@code --hostile}
 * @param hostileSpec the {@code --hostile} text, or null
 * @param hostileLines what the target did to each hostile kind, one line each, or null
 * @param hostileJson the same as JSON, or null
 */
record TargetOutcome(RunReport run, RunReport underAttack, String hostileSpec, List<String> hostileLines,
        Map<String, Object> hostileJson) {

    static TargetOutcome of(RunReport run) {
        return new TargetOutcome(run, null, null, null, null);
    }

    /** The good senders' rate under attack as a fraction of the clean rate; null without {@code --hostile}. */
    Double goodRateUnderAttack() {
        if (underAttack == null) {
            return null;
        }
        return run.requestsPerSecond() == 0 ? 0 : underAttack.requestsPerSecond() / run.requestsPerSecond();
    }

    long lostRows() {
        return run.lostRows() + (underAttack == null ? 0 : underAttack.lostRows());
    }

    String text() {
        if (underAttack == null) {
            return run.text();
        }
        StringBuilder b = new StringBuilder("== clean ==\n").append(run.text())
                .append("\n== under attack: --hostile ").append(hostileSpec).append(" ==\n").append(underAttack.text());
        hostileLines.forEach(line -> b.append("hostile          ").append(line).append('\n'));
        return b.append(RunReport.fmt("%ngood senders under attack: %.2f of clean (%,.0f vs %,.0f requests/s)%n",
                goodRateUnderAttack(), underAttack.requestsPerSecond(), run.requestsPerSecond())).toString();
    }

    Map<String, Object> toJson() {
        if (underAttack == null) {
            return run.toJson();
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("clean", run.toJson());
        m.put("under_attack", underAttack.toJson());
        m.put("hostile", hostileJson);
        m.put("good_rate_under_attack_vs_clean", goodRateUnderAttack());
        return m;
    }
}
