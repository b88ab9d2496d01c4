package io.inferencecache.cli.demo;

import java.util.Locale;

/**
 * The demo's result as one self-contained HTML page: a bar chart of the hit rate per scenario and
 * policy, drawn as inline SVG (no script, nothing fetched), and the table.
 */
public final class DemoReport {

  private static final String[] COLORS = {"#8a8f98", "#2f6fdd"};

  private DemoReport() {}

  /** The page. */
  public static String html(Demo.Result r) {
    StringBuilder page = new StringBuilder();
    page.append("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
        .append("<title>inference-cache demo</title><style>")
        .append("body{font:14px system-ui,sans-serif;margin:2em;color:#222}")
        .append("table{border-collapse:collapse}td,th{padding:4px 10px;text-align:right}")
        .append("th{border-bottom:1px solid #999}td:first-child,td:nth-child(2),th:first-child,")
        .append("th:nth-child(2){text-align:left}</style></head><body>\n")
        .append("<h1>Cache-aware routing: round-robin vs LookupRoute hints</h1>\n")
        .append(
            String.format(
                Locale.ROOT,
                "<p>%d simulated vLLM engines, seed %d, %.1f s, %d KV events ingested.</p>%n",
                r.replicas(),
                r.seed(),
                r.elapsed().toMillis() / 1000.0,
                r.eventsIngested()));
    page.append(chart(r)).append(table(r));
    if (r.truncated()) {
      page.append("<p><strong>Stopped at --duration:</strong> fewer prompts than --requests.</p>");
    }
    return page.append("</body></html>\n").toString();
  }

  private static String chart(Demo.Result r) {
    int groups = r.scenarios().size();
    int barWidth = 36;
    int gap = 28;
    int groupWidth = 2 * barWidth + gap;
    int height = 240;
    int left = 44;
    int width = left + groups * groupWidth + 20;
    StringBuilder svg = new StringBuilder();
    svg.append(
        String.format(
            Locale.ROOT,
            "<svg width=\"%d\" height=\"%d\" role=\"img\""
                + " aria-label=\"engine prefix-cache hit rate by scenario and policy\">%n",
            width,
            height + 60));
    for (int pct = 0; pct <= 100; pct += 25) {
      int y = height - pct * height / 100 + 10;
      svg.append(
          String.format(
              Locale.ROOT,
              "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"#ddd\"/>"
                  + "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">%d%%</text>%n",
              left,
              width - 10,
              y,
              y,
              left - 6,
              y + 4,
              pct));
    }
    for (int g = 0; g < groups; g++) {
      Demo.ScenarioResult s = r.scenarios().get(g);
      int x0 = left + 10 + g * groupWidth;
      for (int p = 0; p < s.policies().size(); p++) {
        Demo.PolicyResult policy = s.policies().get(p);
        int h = (int) Math.round(policy.hitRate() * height);
        int x = x0 + p * barWidth;
        svg.append(
            String.format(
                Locale.ROOT,
                "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"><title>%s %s:"
                    + " %.1f%%</title></rect>"
                    + "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%.0f%%</text>%n",
                x,
                height - h + 10,
                barWidth - 4,
                h,
                COLORS[p % COLORS.length],
                s.scenario().label(),
                policy.policy().label(),
                policy.hitRate() * 100,
                x + (barWidth - 4) / 2,
                height - h + 4,
                policy.hitRate() * 100));
      }
      svg.append(
          String.format(
              Locale.ROOT,
              "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">%s</text>%n",
              x0 + barWidth,
              height + 28,
              s.scenario().label()));
    }
    for (int p = 0; p < Demo.Policy.values().length; p++) {
      svg.append(
          String.format(
              Locale.ROOT,
              "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                  + "<text x=\"%d\" y=\"%d\" font-size=\"12\">%s</text>%n",
              left + p * 140,
              height + 42,
              COLORS[p],
              left + p * 140 + 18,
              height + 52,
              Demo.Policy.values()[p].label()));
    }
    return svg.append("</svg>\n").toString();
  }

  private static String table(Demo.Result r) {
    StringBuilder t = new StringBuilder("<table><tr><th>scenario</th><th>policy</th>");
    t.append("<th>requests</th><th>hit rate</th><th>prefill saved</th><th>lookup p50</th>")
        .append("<th>lookup p99</th></tr>\n");
    for (Demo.ScenarioResult s : r.scenarios()) {
      for (Demo.PolicyResult p : s.policies()) {
        t.append(
            String.format(
                Locale.ROOT,
                "<tr><td>%s</td><td>%s</td><td>%d</td><td>%.1f%%</td><td>%d</td>"
                    + "<td>%.0f µs</td><td>%.0f µs</td></tr>%n",
                s.scenario().label(),
                p.policy().label(),
                p.requests(),
                p.hitRate() * 100,
                p.hitTokens(),
                p.lookupP50Nanos() / 1000.0,
                p.lookupP99Nanos() / 1000.0));
      }
    }
    return t.append("</table>\n").toString();
  }
}
