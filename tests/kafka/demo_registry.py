#!/usr/bin/env python3
"""demo_registry.py -- the worker's Avro + Schema Registry contract, end to
end on Apache Kafka and Apicurio Registry (issue #8 item 7).

Owns: running `payatom-worker demo` against a harness run started with
      `single --with-registry`, and checking what it left behind:
      (a) the subjects it registered (TopicNameStrategy, `<topic>-value` for
          each event topic's main record) and that every record on a topic
          carries that subject's schema id;
      (b) every record of every event topic decoded by the independent PyPI
          reader (avro_tool.py: confluent-kafka's AvroDeserializer with its
          SchemaRegistryClient), as many as the demo says it wrote and a
          plain consumer counts, with the same (type, order, status) as the
          demo printed;
      (c) a schema change that breaks BACKWARD compatibility refused by the
          registry (409) and reported by the worker as a startup error that
          names the subject and the registry's answer.
Not here: starting/stopping Kafka and the registry (CTest fixture
      `kafka_demo_registry`, kafka_harness.py), the reader (avro_tool.py).

    demo_registry.py --dir RUN --bin BIN_DIR

Prints its counts; exits 0 only when every check holds. Every process it
starts is killed when it times out or when this script dies (PDEATHSIG).
Python 3 standard library + kcat/curl.
"""

import argparse
import collections
import ctypes
import json
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True
import kafka_harness as kh  # noqa: E402
from selftest import Fail, check, curl  # noqa: E402

# The topics the worker writes in the demo and the record on each
# (README "Encodings"; evt.report gets records only with reports.schedule).
EVENT_TOPICS = {
    "payatom.evt.payment": "PaymentStatusEvent",
    "payatom.evt.refund": "RefundStatusEvent",
    "payatom.evt.complaint": "ComplaintStatusEvent",
    "payatom.dlq": "DeadLetter",
    # registered at startup whether reports run or not
    "payatom.evt.report": "WalletReportEvent",
}
READ_TOPICS = list(EVENT_TOPICS)
# (c): the worker's RefundStatusEvent written to this topic meets a subject
# holding the previous release, which had no `currency`: the worker's schema
# adds a field without a default, which BACKWARD refuses.
COMPAT_TOPIC = "compat.evt.refund"
COMPAT_FIELD = "currency"


def say(msg):
    print("demo_registry: " + msg, flush=True)


def _die_with_parent():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def run(cmd, timeout, **kw):
    """cmd to completion (killed at timeout, or when we die): (rc, out, err, s)."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         preexec_fn=_die_with_parent, **kw)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        raise Fail("%s did not finish in %ds; stderr tail:\n%s"
                   % (os.path.basename(cmd[0]), timeout, err[-2000:]))
    return p.returncode, out, err, time.monotonic() - t0


def demo_lines(out):
    """The demo's event printout: Counter of the first three columns of each
    event line (kind, order or merchant, status|reason|report|kind, as
    worker/cmd/event_line.c writes them), and its summary's records per
    topic."""
    seen = collections.Counter()
    per_topic = {}
    section = None
    for line in out.splitlines():
        if line.startswith("events ("):
            section = "events"
            continue
        if line.startswith("demo: ") or line.startswith("== summary"):
            section = None
        if line.startswith("  records out"):
            section = "topics"
            continue
        if section == "topics":
            if not line.startswith("    "):
                section = None
                continue
            parts = line.split()
            if parts[0].startswith("payatom."):
                per_topic[parts[0]] = int(parts[1])
        elif section == "events" and line.startswith("  ") and not line.startswith("  ... "):
            kind, oid, what = line.split()[:3]
            seen[(kind, oid, what)] += 1
    return seen, per_topic


def line_of(v):
    """The first three columns event_line.c prints for a decoded value."""
    et = v.get("event_type")
    if et == "dead_letter":
        return ("dead", v.get("order_id") or "-", v["reason"])
    if et == "wallet_report":
        return ("report", v.get("merchant") or "-", v.get("report") or "?")
    if et == "reconciliation":
        return ("recon", v.get("order_id") or "-", v.get("kind") or "?")
    return (et or "record", v.get("order_id") or "-", v.get("status") or "?")


def decoded_lines(path):
    """The reader's --out file: Counter of the same triples, records per
    topic, and the schema ids seen per topic."""
    seen = collections.Counter()
    per_topic = collections.Counter()
    ids = collections.defaultdict(set)
    records = collections.defaultdict(set)  # topic -> {(schema id, record name)}
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            v = r["value"]
            per_topic[r["topic"]] += 1
            ids[r["topic"]].add(r["schema_id"])
            records[r["topic"]].add((r["schema_id"], record_of(r["topic"], v)))
            seen[line_of(v)] += 1
    return seen, per_topic, ids, records


def record_of(topic, v):
    """The record a decoded value is, told by its fields (corrections carry
    event_type "reconciliation" on the payment topic)."""
    if topic == "payatom.evt.payment" and v.get("event_type") == "reconciliation":
        return "ReconciliationEvent"
    return EVENT_TOPICS[topic]


def plain_count(bs, topic, since_ms):
    """Records of topic since since_ms (epoch ms), read_committed by kcat (no
    decoding)."""
    rc, out, err, _ = run([kh.kcat(), "-b", bs, "-C", "-t", topic, "-o", "s@%d" % since_ms, "-e",
                           "-q", "-X", "isolation.level=read_committed", "-f", "%p %o\n"],
                          timeout=60)
    check(rc == 0, "kcat -C %s: %s" % (topic, err[-500:]))
    return len(out.splitlines())


def t_subjects(reg):
    """(a): the subjects the worker registered and their ids."""
    code, subjects = curl("GET", reg + "/subjects")
    check(code == 200, "GET /subjects: %s %s" % (code, subjects))
    # the worker's subjects; (c)'s compat.* subject is this test's own and
    # stays from an earlier run on the fixture's registry (ctest --repeat)
    subjects = [s for s in subjects if s.startswith("payatom.")]
    want = sorted(t + "-value" for t in EVENT_TOPICS)
    # corrections share payatom.evt.payment: subject <topic>-<record full
    # name> (TopicRecordNameStrategy, docs/encodings.md), registered at
    # startup like the others
    shared = [s for s in subjects if s.startswith("payatom.evt.payment-io.payatom.worker.")]
    check(shared == ["payatom.evt.payment-io.payatom.worker.ReconciliationEvent"],
          "corrections' subject: %s" % shared)
    check(sorted(set(subjects) - set(shared)) == want,
          "subjects %s, want %s" % (sorted(subjects), want))
    # every topic's records may carry its main subject's id; evt.payment's
    # also the corrections' subject id (the reports write corrections there
    # whenever a reconciliation finds one: how many depends on timing)
    allowed = {}
    code, body = curl("GET", reg + "/subjects/%s/versions/latest" % shared[0])
    check(code == 200, "GET %s latest: %s %s" % (shared[0], code, body))
    sch = json.loads(body["schema"])
    check(sch["name"] == "ReconciliationEvent",
          "%s holds %s, want ReconciliationEvent" % (shared[0], sch["name"]))
    allowed["payatom.evt.payment"] = {body["id"]: "ReconciliationEvent"}
    ids = {}
    for topic, record in EVENT_TOPICS.items():
        subj = topic + "-value"
        code, body = curl("GET", reg + "/subjects/%s/versions/latest" % subj)
        check(code == 200, "GET %s latest: %s %s" % (subj, code, body))
        sch = json.loads(body["schema"])
        check(sch["name"] == record and sch.get("namespace") == "io.payatom.worker",
              "%s holds %s.%s, want io.payatom.worker.%s"
              % (subj, sch.get("namespace"), sch["name"], record))
        check(body["version"] == 1, "%s: version %s, want 1" % (subj, body["version"]))
        ids[topic] = body["id"]
        allowed.setdefault(topic, {})[body["id"]] = record
    say("(a) subjects registered by the worker (TopicNameStrategy): %s; corrections: %s id %d"
        % (", ".join("%s-value=%s id %d" % (t, EVENT_TOPICS[t], ids[t]) for t in EVENT_TOPICS),
           shared[0], next(i for i, r in allowed["payatom.evt.payment"].items()
                           if r == "ReconciliationEvent")))
    return allowed


def t_read(run_dir, bs, reg, reader, printed, summary, ids, since_ms):
    """(b): the independent reader decodes every record the demo wrote to
    every event topic (those since since_ms: the fixture's broker may hold
    earlier runs' records, ctest --repeat)."""
    out = os.path.join(run_dir, "demo_registry.jsonl")
    cmd = reader + ["read", "--bootstrap", bs, "--registry", reg, "--out", out,
                    "--since-ms", str(since_ms),
                    "--timeout", "100"]  # to reach the end; ~1.5 s unloaded
    for t in READ_TOPICS:
        cmd += ["--topic", t]
    rc, stdout, stderr, secs = run(cmd, timeout=150)
    print(stdout + stderr[-2000:], end="", flush=True)
    check(rc == 0, "avro_tool read failed (rc %d)" % rc)
    decoded, per_topic, seen_ids, records = decoded_lines(out)
    total = 0
    for t in READ_TOPICS:
        plain = plain_count(bs, t, since_ms)
        check(per_topic[t] == summary.get(t, 0) == plain,
              "%s: decoded %d, demo summary %d, plain consumer %d"
              % (t, per_topic[t], summary.get(t, 0), plain))
        if t in ids:
            check(seen_ids[t] <= set(ids[t]),
                  "%s: records framed with schema ids %s, its subjects' ids %s"
                  % (t, sorted(seen_ids[t]), ids[t]))
            for sid, rec in records[t]:
                check(ids[t].get(sid) == rec,
                      "%s: a %s record framed with schema id %d, which is %s's"
                      % (t, rec, sid, ids[t].get(sid)))
        total += per_topic[t]
        say("(b) %-22s demo %4d  plain consumer %4d  decoded %4d  failed 0  schema id %s"
            % (t, summary.get(t, 0), plain, per_topic[t],
               ",".join(str(i) for i in sorted(seen_ids[t])) or "-"))
    check(total > 0 and per_topic["payatom.dlq"] > 0 and per_topic["payatom.evt.refund"] > 0
          and per_topic["payatom.evt.complaint"] > 0,
          "the demo wrote too little to prove anything: %s" % dict(per_topic))
    check(decoded == printed,
          "decoded records differ from the demo's printout: only decoded %s; only printed %s"
          % (dict(decoded - printed), dict(printed - decoded)))
    say("(b) PyPI confluent-kafka AvroDeserializer decoded all %d records in %.1fs; "
        "each one's (type, order, status/reason) is what the worker printed" % (total, secs))


def t_refused(bs, reg, worker):
    """(c): a BACKWARD-incompatible change is refused (409) and the worker
    stops at startup naming the subject and the registry's answer."""
    subj = COMPAT_TOPIC + "-value"
    code, body = curl("PUT", reg + "/config/" + subj, {"compatibility": "BACKWARD"})
    check(code == 200, "PUT /config/%s: %s %s" % (subj, code, body))
    code, body = curl("GET", reg + "/config/" + subj)
    check(code == 200 and body.get("compatibilityLevel") == "BACKWARD",
          "GET /config/%s: %s" % (subj, body))
    # the previous release: the worker's own RefundStatusEvent without one
    # required field
    code, body = curl("GET", reg + "/subjects/payatom.evt.refund-value/versions/latest")
    check(code == 200, "GET refund schema: %s" % code)
    old = json.loads(body["schema"])
    n = len(old["fields"])
    old["fields"] = [f for f in old["fields"] if f["name"] != COMPAT_FIELD]
    check(len(old["fields"]) == n - 1, "RefundStatusEvent has no %s field" % COMPAT_FIELD)
    code, body = curl("POST", reg + "/subjects/%s/versions" % subj,
                      {"schema": json.dumps(old)})
    check(code == 200 and isinstance(body.get("id"), int),
          "register the previous release: %s %s" % (code, body))
    rc, out, err, secs = run([worker, "-o", "brokers=" + bs, "-o", "schema.registry.url=" + reg,
                              "-o", "topic.evt.refund=" + COMPAT_TOPIC,
                              "-o", "group.id=demo-registry-compat",
                              "-o", "http.listen=127.0.0.1:0", "-o", "log.format=text"],
                             timeout=60)
    line = next((ln for ln in err.splitlines() if "cannot start" in ln), "")
    print(err, end="", flush=True)
    check(rc != 0, "the worker started with a refused schema (rc %d)" % rc)
    check(secs < 30, "the refusal took %.1fs" % secs)
    for part in ("RefundStatusEvent", "subject " + subj, "incompatible", "(409)",
                 COMPAT_FIELD):
        check(part in line, "startup error lacks %r: %r" % (part, line))
    code, body = curl("GET", reg + "/subjects/%s/versions" % subj)
    check(code == 200 and body == [1], "%s versions after the refusal: %s" % (subj, body))
    say("(c) BACKWARD on %s holding the previous release (no %s): the worker's schema is "
        "refused, exit %d after %.1fs: %s" % (subj, COMPAT_FIELD, rc, secs, line))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True, help="harness run (single --with-registry)")
    ap.add_argument("--bin", required=True, help="directory with payatom-worker")
    ap.add_argument("--orders-per-product", type=int, default=3)
    ap.add_argument("--reports", metavar="INTERVAL",
                    help="also run the worker's reports (reports.schedule=INTERVAL) and "
                         "require payatom.evt.report in Avro too")
    a = ap.parse_args()
    t0 = time.monotonic()
    try:
        env = kh.env_of(kh.Run(a.dir).load())
        bs = env["PAYATOM_TEST_BOOTSTRAP"]
        reg = env.get("PAYATOM_TEST_SCHEMA_REGISTRY_URL")
        check(reg, "the run has no registry (start it with --with-registry)")
        reader = env["PAYATOM_TEST_AVRO_READER"].split()
        worker = os.path.join(a.bin, "payatom-worker")
        extra = []
        if a.reports:
            extra = ["-o", "reports.schedule=" + a.reports]
        since_ms = int(time.time() * 1000)  # CreateTime of the demo's records: later
        rc, out, err, secs = run([worker, "demo", "--orders-per-product",
                                  str(a.orders_per_product), "-o", "brokers=" + bs,
                                  "-o", "schema.registry.url=" + reg] + extra, timeout=170)
        with open(os.path.join(a.dir, "demo_registry.demo.log"), "w") as f:
            f.write(out + "\n--- stderr ---\n" + err)
        print(out[out.find("== summary"):], end="", flush=True)
        check(rc == 0 and "every command reached its terminal outcome" in out,
              "demo failed (rc %d); stderr tail:\n%s" % (rc, err[-3000:]))
        check("(Confluent-framed Avro)" in out and "(brokers)" in out,
              "demo did not run on the harness's broker and registry")
        printed, summary = demo_lines(out)
        say("demo on %s with %s: %d records in %.1fs" % (bs, reg, sum(summary.values()), secs))
        ids = t_subjects(reg)
        t_read(a.dir, bs, reg, reader, printed, summary, ids, since_ms)
        t_refused(bs, reg, worker)
    except (Fail, kh.HarnessError, KeyError) as e:
        print("demo_registry: FAIL: %s" % e, flush=True)
        return 1
    say("OK in %.1fs" % (time.monotonic() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
