package org.fdcap.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Draws the sweep of {@link AgentComparison} (CSV rows {@code series,threads,capacity,ratio,
 * reads_per_second,error}) as an SVG line chart: throughput against cap / working set, one line
 * per series and thread count, error bars from JMH's confidence intervals. Plain SVG, no library.
 */
public final class ThroughputChart {
    private static final int W = 860;
    private static final int H = 460;
    private static final int LEFT = 80;
    private static final int RIGHT = 290;
    private static final int TOP = 50;
    private static final int BOTTOM = 60;
    private static final Map<String, String> COLORS = Map.of("agent", "#1f77b4", "pool", "#ff7f0e",
            "uncapped", "#555555");
    private static final Map<String, String> LABELS = Map.of("agent", "fdcap agent", "pool",
            "hand-written LRU pool", "uncapped", "uncapped (all open)");

    private ThroughputChart() {
    }

    static String svg(String title, List<String> csv) {
        Map<String, List<double[]>> lines = new LinkedHashMap<>();
        double maxY = 0;
        double minY = Double.MAX_VALUE;
        for (String row : csv.subList(1, csv.size())) {
            String[] f = row.split(",");
            String key = f[0] + "," + f[1];
            double ratio = Double.parseDouble(f[3]);
            double y = Double.parseDouble(f[4]);
            double err = Double.parseDouble(f[5]);
            lines.computeIfAbsent(key, k -> new ArrayList<>()).add(new double[] {ratio, y, err});
            // The scale follows the values: on a noisy machine the error bars can dwarf them.
            maxY = Math.max(maxY, y);
            minY = Math.min(minY, y);
        }
        // A log scale: the capped runs can be tens of times slower than the uncapped one.
        double lo = Math.floor(Math.log10(Math.max(1, minY)));
        double hi = Math.ceil(Math.log10(Math.max(10, maxY)));
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
                + " viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">%n", W, H, W, H));
        s.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", W, H));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"24\" font-size=\"15\" font-weight=\"bold\">%s</text>%n",
                LEFT, escape(title)));
        int plotW = W - LEFT - RIGHT;
        int plotH = H - TOP - BOTTOM;
        // Axes and grid.
        for (int i = 0; i <= 10; i += 2) {
            double x = LEFT + plotW * i / 10.0;
            s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>%n",
                    x, TOP, x, TOP + plotH));
            s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%.1f</text>%n", x,
                    TOP + plotH + 18, i / 10.0));
        }
        for (double d = lo; d <= hi + 1e-9; d++) {
            double v = Math.pow(10, d);
            double y = TOP + plotH - plotH * (d - lo) / (hi - lo);
            s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>%n",
                    LEFT, y, LEFT + plotW, y));
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n", LEFT - 6,
                    y + 4, human(v)));
        }
        s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\""
                + " stroke=\"#333\"/>%n", LEFT, TOP, plotW, plotH));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">cap / working set"
                + " (open descriptors allowed / files read)</text>%n", LEFT + plotW / 2, H - 18));
        s.append(String.format(Locale.ROOT, "<text transform=\"translate(18 %d) rotate(-90)\" text-anchor=\"middle\">"
                + "reads per second, all threads (log scale)</text>%n", TOP + plotH / 2));
        // Lines.
        int legend = 0;
        for (Map.Entry<String, List<double[]>> e : lines.entrySet()) {
            String[] k = e.getKey().split(",");
            String color = COLORS.getOrDefault(k[0], "#000");
            String dash = k[1].equals("1") ? "" : " stroke-dasharray=\"7 4\"";
            List<double[]> pts = e.getValue();
            if (k[0].equals("uncapped") && pts.size() == 1) {
                double y = scale(pts.get(0)[1], lo, hi, plotH);
                s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"%s\""
                        + " stroke-width=\"1.5\"%s/>%n", LEFT, y, LEFT + plotW, y, color, dash));
            } else {
                StringBuilder path = new StringBuilder();
                for (double[] p : pts) {
                    double x = LEFT + plotW * p[0];
                    double y = scale(p[1], lo, hi, plotH);
                    path.append(path.length() == 0 ? "M" : " L").append(String.format(Locale.ROOT, "%.1f %.1f", x, y));
                    s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\""
                            + " stroke=\"%s\" stroke-opacity=\"0.5\"/>%n", x, scale(p[1] + p[2], lo, hi, plotH), x,
                            scale(p[1] - p[2], lo, hi, plotH), color));
                    s.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>%n", x, y,
                            color));
                }
                s.append(String.format(Locale.ROOT, "<path d=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s/>%n",
                        path, color, dash));
            }
            double ly = TOP + 14 + 20 * legend++;
            s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"%s\""
                    + " stroke-width=\"2\"%s/>%n", LEFT + plotW + 12, ly, LEFT + plotW + 40, ly, color, dash));
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\">%s, %s thread%s</text>%n",
                    LEFT + plotW + 46, ly + 4, escape(LABELS.getOrDefault(k[0], k[0])), k[1],
                    k[1].equals("1") ? "" : "s"));
        }
        s.append("</svg>\n");
        return s.toString();
    }

    /** The y coordinate of {@code v} on the log scale [10^lo, 10^hi], clipped to the plot. */
    private static double scale(double v, double lo, double hi, int plotH) {
        double d = v <= 0 ? lo : Math.log10(v);
        d = Math.max(lo, Math.min(hi, d));
        return TOP + plotH - plotH * (d - lo) / (hi - lo);
    }

    /** Redraws a chart from the CSV of an earlier sweep: {@code CSV SVG TITLE}. */
    public static void main(String[] args) throws java.io.IOException {
        List<String> csv = java.nio.file.Files.readAllLines(java.nio.file.Path.of(args[0]));
        java.nio.file.Files.writeString(java.nio.file.Path.of(args[1]), svg(args[2], csv));
    }

    private static String human(double v) {
        if (v >= 1e6) {
            return String.format(Locale.ROOT, "%.1fM", v / 1e6);
        }
        if (v >= 1e3) {
            return String.format(Locale.ROOT, "%.0fk", v / 1e3);
        }
        return String.format(Locale.ROOT, "%.0f", v);
    }

    private static String escape(String t) {
        return t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
