#!/usr/bin/env python3
"""check_dashboard.py -- every query of the chart's Grafana dashboard asks
for what a real payatom-worker /metrics exports.

Owns: reading the PromQL of every panel target and template variable of
helm/payatom-worker/dashboards/payatom-worker.json, and checking it against
a scrape of a running worker (tests/ops/demo_ops.sh passes one): each metric
name is exported (histograms by their _bucket/_sum/_count series), each
label a matcher, a `by (...)` or a legend names is one of that metric's
labels (or one Prometheus adds from the ServiceMonitor's target: namespace,
service, pod, ...), and each `label="value"` matcher on a worker label
selects series that exist. Also the dashboard's own shape: unique panel ids
and refIds, a datasource on every target, no overlapping panels.
Not here: running the worker (demo_ops.sh), rendering the chart
(check_chart.py), evaluating PromQL (no Prometheus runs in CI).

Usage: check_dashboard.py DASHBOARD.json METRICS.txt
Prints what it checked; exit 0 when every check held.
"""
import json
import re
import sys

# Labels a Prometheus scrape of the ServiceMonitor's endpoints adds.
TARGET_LABELS = {"namespace", "service", "pod", "instance", "job", "endpoint", "container"}
# PromQL words that look like metric names but are not.
KEYWORDS = {"sum", "max", "min", "avg", "count", "rate", "increase", "irate", "by", "without",
            "histogram_quantile", "label_values", "on", "ignoring", "group_left", "group_right",
            "and", "or", "unless", "offset", "bool", "topk", "bottomk", "delta", "deriv", "abs",
            "clamp_min", "clamp_max", "vector", "scalar", "time", "le"}
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
SELECTOR = re.compile(r'\b([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\{([^}]*)\})?')
MATCHER = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!=|!~|=)\s*"((?:[^"\\]|\\.)*)"')
BY = re.compile(r'\b(?:by|without)\s*\(([^)]*)\)')
LEGEND = re.compile(r'\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}')


def load_metrics(path):
    """name -> list of label dicts of its samples."""
    series = {}
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            m = SAMPLE.match(line)
            if not m:
                raise SystemExit("check_dashboard: not a sample line: %r" % line)
            series.setdefault(m.group(1), []).append(dict(LABEL.findall(m.group(3) or "")))
    return series


class Checks:
    def __init__(self):
        self.passed = self.failed = 0

    def ok(self, cond, what):
        if cond:
            self.passed += 1
        else:
            self.failed += 1
            print("FAIL: " + what)
        return cond


def selectors(expr):
    """(metric name, {label: (op, value)}) of every vector selector."""
    out = []
    stripped = re.sub(r'\[[^\]]*\]', "", expr)  # range durations
    stripped = BY.sub("", stripped)
    for m in SELECTOR.finditer(stripped):
        name = m.group(1)
        if name in KEYWORDS or name.startswith("$") or re.fullmatch(r"[0-9.e]+", name):
            continue
        # a function call: name followed by "("
        rest = stripped[m.end():].lstrip()
        if not m.group(2) and rest.startswith("("):
            continue
        if not name.startswith("payatom_"):
            continue
        matchers = {k: (op, v) for k, op, v in MATCHER.findall(m.group(3) or "")}
        out.append((name, matchers))
    return out


def check_expr(c, where, expr, legend, series):
    sels = selectors(expr)
    c.ok(sels, "%s: no payatom_* metric in %r" % (where, expr))
    avail = set(TARGET_LABELS)
    for name, matchers in sels:
        samples = series.get(name)
        if not c.ok(samples, "%s: %s is not exported by the worker" % (where, name)):
            continue
        labels = set().union(*(s.keys() for s in samples)) if samples else set()
        avail |= labels
        for k, (op, v) in matchers.items():
            if k in TARGET_LABELS:
                continue
            if not c.ok(k in labels, "%s: %s has no label %s (it has %s)"
                        % (where, name, k, sorted(labels))):
                continue
            if op == "=":
                c.ok(any(s.get(k) == v for s in samples),
                     "%s: no %s series with %s=%r (values: %s)"
                     % (where, name, k, v, sorted({s.get(k) for s in samples})))
    for group in BY.findall(expr):
        for lab in (x.strip() for x in group.split(",")):
            if lab:
                c.ok(lab in avail, "%s: by (%s): no metric of %r has it" % (where, lab, expr))
    for lab in LEGEND.findall(legend or ""):
        c.ok(lab in avail or lab in TARGET_LABELS,
             "%s: legend {{%s}} is no label of the result" % (where, lab))
    return len(sels)


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    with open(sys.argv[1]) as f:
        dash = json.load(f)
    series = load_metrics(sys.argv[2])
    c = Checks()
    c.ok(dash.get("uid") and dash.get("title"), "dashboard uid and title")
    ids, boxes, queries, metrics = set(), [], 0, set()
    panels = dash.get("panels", [])
    for p in panels:
        where = "panel %s %r" % (p.get("id"), p.get("title"))
        c.ok(p.get("id") not in ids, where + ": unique id")
        ids.add(p.get("id"))
        g = p.get("gridPos", {})
        c.ok(all(isinstance(g.get(k), int) for k in "hwxy") and g["x"] + g["w"] <= 24,
             where + ": gridPos within 24 columns")
        for b in boxes:
            overlap = (g["x"] < b["x"] + b["w"] and b["x"] < g["x"] + g["w"] and
                       g["y"] < b["y"] + b["h"] and b["y"] < g["y"] + g["h"])
            c.ok(not overlap, where + ": overlaps another panel")
        boxes.append(g)
        if p.get("type") == "row":
            continue
        c.ok(p.get("description"), where + ": has a description")
        targets = p.get("targets", [])
        c.ok(targets, where + ": has queries")
        refs = [t.get("refId") for t in targets]
        c.ok(len(refs) == len(set(refs)), where + ": unique refIds")
        for t in targets:
            c.ok(t.get("datasource", {}).get("uid") == "${datasource}",
                 where + ": target uses the datasource variable")
            n = check_expr(c, where, t.get("expr", ""), t.get("legendFormat"), series)
            queries += 1
            metrics |= {name for name, _ in selectors(t.get("expr", ""))}
            del n
    for v in dash.get("templating", {}).get("list", []):
        if v.get("type") == "query":
            q = v.get("query", {})
            q = q.get("query") if isinstance(q, dict) else q
            m = re.fullmatch(r'label_values\((.*),\s*([a-zA-Z_]+)\)', q or "")
            if c.ok(m, "variable %s: label_values(metric, label)" % v.get("name")):
                check_expr(c, "variable " + v["name"], m.group(1), None, series)
                c.ok(m.group(2) in TARGET_LABELS, "variable %s: %s comes from the target"
                     % (v["name"], m.group(2)))
    exported = {n for n in series if n.startswith("payatom_")}
    shown = {re.sub(r"_(bucket|sum|count)$", "", n) for n in metrics}
    families = {re.sub(r"_(bucket|sum|count)$", "", n) for n in exported}
    print("dashboard: %d panels, %d queries over %d metric families; %d of the %d families "
          "the worker exports are shown%s"
          % (len([p for p in panels if p.get("type") != "row"]), queries, len(shown),
             len(shown & families), len(families),
             "" if families <= shown else " (not shown: %s)" % ", ".join(sorted(families - shown))))
    print("%d passed, %d failed" % (c.passed, c.failed))
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
