#!/usr/bin/env python3
"""registry_modes.py -- payatom-worker on a registry it may not write to
(issue 19 item 3), on Apache Kafka and Apicurio Registry in read-only mode
(`apicurio.storage.read-only.enabled`, what a read-only user meets).

Owns: the worker's subjects registered beforehand by "someone else" (curl,
      from `payatom-ctl schemas export` and tests/data/schemas_prev), then:
      (a) the default, schema.registry.auto.register=true, with a subject
          missing stops the start naming the read-only registry and the key
          to change;
      (b) auto.register=false: the worker starts, a command for an unknown
          merchant becomes a dead letter framed with the pre-registered id,
          decoded by the independent PyPI reader (avro_tool.py); no subject
          gained a version;
      (c) auto.register=false with one subject missing: the start stops
          naming it;
      (d) use.latest.version=true on subjects holding the previous release
          (tests/data/schemas_prev): the dead letter is written with that
          release (its id, exactly its fields);
      (e) use.latest.version=true on a latest version that cannot read ours
          (a required field we do not write): the start stops naming the
          subject and the field.
Not here: starting/stopping Kafka and the registry (CTest fixture
      `kafka_registry_modes`), the fake-registry unit tests
      (tests/unit/serde/check_registry_modes.c).

    registry_modes.py --dir RUN --bin BIN_DIR --schemas-prev DIR

Prints what it saw; exits 0 only when every check holds.
"""

import argparse
import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True
import kafka_harness as kh  # noqa: E402
from selftest import Fail, check, curl  # noqa: E402

# What the worker writes, per topic key: (record, schema file).
WRITES = {
    "evt.payment": ("PaymentStatusEvent", "payment_status_event.avsc"),
    "evt.refund": ("RefundStatusEvent", "refund_status_event.avsc"),
    "evt.complaint": ("ComplaintStatusEvent", "complaint_status_event.avsc"),
    "evt.report": ("WalletReportEvent", "wallet_report_event.avsc"),
    "dlq": ("DeadLetter", "dead_letter.avsc"),
}
TOPIC_KEYS = ["cmd.payin", "cmd.payout", "cmd.complaint", "evt.payment", "evt.refund",
              "evt.complaint", "evt.report", "dlq", "int.webhook", "int.state"]


# The worker's topics and subjects carry this invocation's id after their
# ro/ro2/ro3/ro4 prefix: the fixture's broker and registry outlive a run
# (ctest --repeat), and a second run must find its own dead-letter topic
# empty and its subjects as it registered them.
RUN_ID = "%x" % (int(time.time() * 1000) & 0xffffffffff)


def pf(prefix):
    """ro -> ro<run id>, this run's prefix."""
    return prefix + RUN_ID


def say(msg):
    print("registry_modes: " + msg, flush=True)


def subjects_of(prefix):
    """subject -> schema file the worker prepares at start-up for topics
    named prefix.* (README "Encodings": TopicNameStrategy, corrections under
    TopicRecordNameStrategy)."""
    subj = {"%s.%s-value" % (prefix, k): f for k, (_, f) in WRITES.items()}
    subj["%s.evt.payment-io.payatom.worker.ReconciliationEvent" % prefix] = \
        "reconciliation_event.avsc"
    return subj


def register(reg, subject, text):
    code, body = curl("POST", reg + "/subjects/%s/versions" % subject, {"schema": text})
    check(code == 200 and isinstance(body.get("id"), int),
          "pre-register %s: %s %s" % (subject, code, body))
    return body["id"]


def versions(reg, subject):
    code, body = curl("GET", reg + "/subjects/%s/versions" % subject)
    return body if code == 200 else []


def read_only(reg, on):
    """Apicurio's read-only storage, switched through its admin API (a
    dynamic property; the ccompat API has no such call)."""
    base = reg.split("/apis/ccompat/")[0]
    r = subprocess.run(["curl", "-sS", "-m", "20", "-X", "PUT", "-w", "%{http_code}",
                        "-H", "Content-Type: application/json", "--data-binary",
                        json.dumps({"value": "true" if on else "false"}),
                        base + "/apis/registry/v3/admin/config/properties/"
                        "apicurio.storage.read-only.enabled"],
                       capture_output=True, text=True, timeout=30)
    check(r.stdout.endswith("204"), "read-only mode %s: %s %s" % (on, r.stdout, r.stderr))


class Worker:
    """payatom-worker with a config file, its output collected."""

    def __init__(self, binary, run_dir, name, bs, reg, prefix, extra):
        conf = ["brokers = " + bs, "schema.registry.url = " + reg,
                "group.id = regmodes-%s-%d" % (name, os.getpid()),
                "serialization = avro", "log.format = json", "log.level = info",
                "http.listen = 127.0.0.1:0", "shutdown.timeout = 2s",
                "topics.partitions = 2",
                "merchant.in1.pid = 1000", "merchant.in1.secret = regmodes-secret-1",
                "merchant.in1.base.url = http://127.0.0.1:9"]
        conf += ["topic.%s = %s.%s" % (k, prefix, k) for k in TOPIC_KEYS]
        # a key of extra replaces the same key above
        keys = {ln.split("=")[0].strip() for ln in extra}
        conf = [ln for ln in conf if ln.split("=")[0].strip() not in keys]
        path = os.path.join(run_dir, "worker-%s.conf" % name)
        with open(path, "w") as f:
            f.write("\n".join(conf + extra) + "\n")
        self.t0 = time.monotonic()
        self.p = subprocess.Popen([binary, "--config", path], stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True)
        self.out = []

    def wait_started(self, timeout):
        """True once partitions are assigned; False if it exited first."""
        sel = selectors.DefaultSelector()
        sel.register(self.p.stdout, selectors.EVENT_READ)
        end = time.monotonic() + timeout
        try:
            while time.monotonic() < end:
                if not sel.select(timeout=0.2):
                    if self.p.poll() is not None:
                        return False
                    continue
                line = self.p.stdout.readline()
                if not line:
                    if self.p.poll() is not None:
                        return False
                    continue
                self.out.append(line)
                if "rebalance: assigned partitions [0" in line:
                    return True
        finally:
            sel.close()
        raise Fail("the worker neither started nor stopped in %ds:\n%s"
                   % (timeout, "".join(self.out)[-2000:]))

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
        try:
            rc = self.p.wait(timeout=30)
        finally:
            if self.p.poll() is None:
                self.p.kill()
                self.p.wait()
        self.out.append(self.p.stdout.read())
        return rc, time.monotonic() - self.t0, "".join(self.out)


def refused(binary, run_dir, name, bs, reg, prefix, extra, want):
    """The worker must stop at once with a 'cannot start' line holding every
    string of want. Returns that line and the seconds it took."""
    w = Worker(binary, run_dir, name, bs, reg, prefix, extra)
    started = w.wait_started(60)
    rc, secs, out = w.stop()
    line = next((ln for ln in out.splitlines() if "cannot start" in ln), "")
    check(not started and rc == 1, "%s: started %s, exit %s:\n%s"
          % (name, started, rc, out[-2000:]))
    check(secs < 30, "%s: the refusal took %.1fs" % (name, secs))
    for part in want:
        check(part in line, "%s: startup error lacks %r: %r" % (name, part, line))
    return line, secs


def dead_letter_through(binary, run_dir, name, bs, reg, reader, prefix, extra):
    """Starts the worker, sends it a payin for an unknown merchant and reads
    the dead letter back with the independent reader: (record, schema id)."""
    w = Worker(binary, run_dir, name, bs, reg, prefix, extra)
    try:
        started = w.wait_started(90)
        check(started, "%s: the worker did not start:\n%s" % (name, "".join(w.out)[-3000:]))
        order = "RO%s%d" % (name.upper()[:4], os.getpid())
        cmd = {"type": "payin", "command_id": "c-" + order, "merchant": "nobody",
               "order_id": order, "product": "PAYIN_UPI_P2C_SEAMLESS", "country": "IN",
               "amount_minor": 10000, "currency": "INR",
               "customer": {"name": "Asha Rao", "email": "asha@example.com",
                            "phone": "9876543210"},
               "upi_id": "asha@okaxis", "created_at": 1764000000000}
        r = subprocess.run([kh.kcat(), "-P", "-b", bs, "-t", prefix + ".cmd.payin", "-k", order,
                            "-X", "partitioner=murmur2_random"],
                           input=json.dumps(cmd) + "\n", text=True, capture_output=True,
                           timeout=60)
        check(r.returncode == 0, "kcat -P: %s" % r.stderr)
        out = os.path.join(run_dir, "regmodes-%s.jsonl" % name)
        rows = []
        end = time.monotonic() + 60
        while not rows and time.monotonic() < end:
            r = subprocess.run(reader + ["read", "--bootstrap", bs, "--registry", reg,
                                         "--topic", prefix + ".dlq", "--out", out,
                                         "--timeout", "30"],
                               capture_output=True, text=True, timeout=120)
            check(r.returncode == 0, "avro_tool read %s.dlq: %s%s"
                  % (prefix, r.stdout, r.stderr[-2000:]))
            with open(out) as f:
                rows = [json.loads(ln) for ln in f]
            if not rows:
                time.sleep(1)
        check(len(rows) == 1, "%s.dlq holds %d records, want 1" % (prefix, len(rows)))
        v = rows[0]["value"]
        check(v["reason"] == "UNKNOWN_MERCHANT" and v["order_id"] == order,
              "dead letter: %s" % v)
        return v, rows[0]["schema_id"]
    finally:
        rc, _, text = w.stop()
        check(rc == 0, "%s: exit %s on SIGTERM:\n%s" % (name, rc, text[-2000:]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True, help="harness run (single --with-registry)")
    ap.add_argument("--bin", required=True, help="directory with payatom-worker, payatom-ctl")
    ap.add_argument("--schemas-prev", required=True, help="tests/data/schemas_prev")
    a = ap.parse_args()
    t0 = time.monotonic()
    reg = None
    try:
        env = kh.env_of(kh.Run(a.dir).load())
        bs = env["PAYATOM_TEST_BOOTSTRAP"]
        reg = env.get("PAYATOM_TEST_SCHEMA_REGISTRY_URL")
        check(reg, "the run has no registry (start it with --with-registry)")
        reader = env["PAYATOM_TEST_AVRO_READER"].split()
        worker = os.path.join(a.bin, "payatom-worker")
        ours = tempfile.mkdtemp(prefix="schemas-", dir=a.dir)
        r = subprocess.run([os.path.join(a.bin, "payatom-ctl"), "schemas", "export", ours],
                           capture_output=True, text=True, timeout=30)
        check(r.returncode == 0, "payatom-ctl schemas export: %s" % r.stderr)

        def text(d, f):
            with open(os.path.join(d, f)) as fh:
                return fh.read()

        # someone else registers what the worker needs, before it runs
        ids = {}
        for s, f in subjects_of(pf("ro")).items():
            ids[s] = register(reg, s, text(ours, f))
        for s, f in subjects_of(pf("ro2")).items():
            if s != pf("ro2") + ".evt.complaint-value":  # (c): missing
                register(reg, s, text(ours, f))
        prev = {}
        for s, f in subjects_of(pf("ro3")).items():
            prev[s] = register(reg, s, text(a.schemas_prev, f))
        for s, f in subjects_of(pf("ro4")).items():
            sch = json.loads(text(ours, f))
            if s == pf("ro4") + ".dlq-value":
                sch["fields"].append({"name": "tenant", "type": "string",
                                      "doc": "a field this worker does not write"})
            register(reg, s, json.dumps(sch))
        before = {s: versions(reg, s) for p in (pf("ro"), pf("ro2"), pf("ro3"), pf("ro4"))
                  for s in subjects_of(p)}
        read_only(reg, True)
        say("subjects of ro.*, ro2.* (without ro2.evt.complaint-value), ro3.* (previous "
            "release) and ro4.* registered; registry now read-only")

        # Apicurio answers a registration of a schema the subject already
        # holds with its id, read-only or not: a subject missing is what
        # needs the write
        line, secs = refused(worker, a.dir, "default", bs, reg, pf("ro2"), [],
                             [pf("ro2") + ".evt.complaint-value", "read-only",
                              "schema.registry.auto.register=false"])
        say("(a) auto.register=true on the read-only registry, a subject missing: exit 1 "
            "after %.1fs: %s" % (secs, line))

        v, sid = dead_letter_through(worker, a.dir, "lookup", bs, reg, reader, pf("ro"),
                                     ["schema.registry.auto.register = false"])
        check(sid == ids[pf("ro") + ".dlq-value"], "dead letter framed with id %d, the subject's is %d"
              % (sid, ids[pf("ro") + ".dlq-value"]))
        say("(b) auto.register=false: started, dead letter %s framed with the pre-registered "
            "id %d, decoded by PyPI confluent-kafka" % (v["reason"], sid))

        line, secs = refused(worker, a.dir, "missing", bs, reg, pf("ro2"),
                             ["schema.registry.auto.register = false"],
                             [pf("ro2") + ".evt.complaint-value is not registered",
                              "ComplaintStatusEvent"])
        say("(c) a subject missing: exit 1 after %.1fs: %s" % (secs, line))

        v, sid = dead_letter_through(worker, a.dir, "latest", bs, reg, reader, pf("ro3"),
                                     ["schema.registry.auto.register = false",
                                      "schema.registry.use.latest.version = true"])
        want = {f["name"] for f in json.loads(text(a.schemas_prev, "dead_letter.avsc"))["fields"]}
        check(sid == prev[pf("ro3") + ".dlq-value"], "dead letter framed with id %d, the previous "
              "release's is %d" % (sid, prev[pf("ro3") + ".dlq-value"]))
        check(set(v) == want, "dead letter fields %s, the previous release's %s"
              % (sorted(v), sorted(want)))
        mine = {f["name"] for f in json.loads(text(ours, "dead_letter.avsc"))["fields"]}
        say("(d) use.latest.version: dead letter written with the previous release (id %d, "
            "%d fields; ours has %d: %s not written)"
            % (sid, len(want), len(mine), ", ".join(sorted(mine - want)) or "none"))

        line, secs = refused(worker, a.dir, "incompatible", bs, reg, pf("ro4"),
                             ["schema.registry.auto.register = false",
                              "schema.registry.use.latest.version = true"],
                             [pf("ro4") + ".dlq-value", "cannot read our DeadLetter", "tenant"])
        say("(e) a latest version that cannot read ours: exit 1 after %.1fs: %s"
            % (secs, line))

        after = {s: versions(reg, s) for s in before}
        check(after == before, "versions changed: %s"
              % {s: (before[s], after[s]) for s in before if before[s] != after[s]})
        say("no subject gained a version (%d subjects)" % len(before))
    except (Fail, kh.HarnessError, KeyError, subprocess.TimeoutExpired) as e:
        print("registry_modes: FAIL: %s" % e, flush=True)
        return 1
    finally:
        if reg:
            try:
                read_only(reg, False)
            except Fail:
                pass
    say("OK in %.1fs" % (time.monotonic() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
