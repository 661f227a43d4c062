#!/usr/bin/env python3
"""contract_headers.py -- the event contract a downstream service sees
(issue 19 items 1 and 2), on Apache Kafka with Apicurio Registry and the
real payatom-worker and payatom-sandbox processes, read back by the
independent reader (avro_tool.py: PyPI confluent-kafka's AvroDeserializer,
headers included).

Owns: a payin sent with a W3C traceparent/tracestate, a tenant header the
      worker is told to copy (events.headers), a credential it is not, and
      metadata; then checks, on every event of the order:
      - the trace context and the tenant copied, never the credential;
      - CloudEvents binary mode (events.cloudevents=true): ce_specversion,
        ce_id = event_id, ce_type from event_type, ce_source as configured,
        ce_time = occurred_at, ce_subject = order_id, content-type;
      - the command's event names it (cause COMMAND, command_id); the
        webhook's event names the webhook (cause WEBHOOK, cause_id) and
        still carries the trace of the order's command (kept in its state);
      - metadata returned unchanged on each, schema_version 2;
      and a payin whose metadata breaks its bounds is a dead letter
      (MALFORMED, naming metadata, never the value) with the command's
      trace context and CloudEvents headers.
Not here: starting/stopping Kafka and the registry (CTest fixture
      `kafka_contract_headers`), the mock-cluster tests of the same rules
      (tests/integration).

    contract_headers.py --dir RUN --bin BIN_DIR

Prints what it saw; exits 0 only when every check holds.
"""

import argparse
import datetime
import json
import os
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True
import kafka_harness as kh  # noqa: E402
from registry_modes import Worker  # noqa: E402
from selftest import Fail, check  # noqa: E402

TP = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
TS = "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"
PID, SECRET = "PWTCH00001", "pwt-secret-contract-3d9a"
SOURCE = "/payments/contract-test"
META = {"cart_id": "cart-8812", "channel": "android-app"}


def say(msg):
    print("contract_headers: " + msg, flush=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def sandbox(bin_dir, run_dir, wport):
    conf = os.path.join(run_dir, "sandbox.conf")
    with open(conf, "w") as f:
        f.write("seed = 5\nresolve-delay-ms = 800\n"
                "merchant = pid=%s,secret=%s,callback=http://127.0.0.1:%d/webhooks/payatom/ch\n"
                % (PID, SECRET, wport))
    p = subprocess.Popen([os.path.join(bin_dir, "payatom-sandbox"), "--config", conf,
                          "--port", "0", "--print-port"], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True)
    line = p.stdout.readline().strip()
    check(line.isdigit(), "payatom-sandbox printed no port (%r)" % line)
    return p, int(line)


def send(bs, topic, key, value, headers):
    cmd = [kh.kcat(), "-P", "-b", bs, "-t", topic, "-k", key, "-X",
           "partitioner=murmur2_random"]
    for k, v in headers:
        cmd += ["-H", "%s=%s" % (k, v)]
    r = subprocess.run(cmd, input=json.dumps(value) + "\n", text=True, capture_output=True,
                       timeout=60)
    check(r.returncode == 0, "kcat -P: %s" % r.stderr)


def payin(order, command_id, metadata):
    return {"type": "payin", "command_id": command_id, "merchant": "ch", "order_id": order,
            "product": "PAYIN_UPI_P2C_SEAMLESS", "country": "IN", "amount_minor": 10000,
            "currency": "INR", "customer": {"name": "Asha Rao", "email": "asha@example.com",
                                            "phone": "9876543210"},
            "upi_id": "asha@okaxis", "created_at": 1764000000000, "metadata": metadata}


def read(bs, reg, reader, run_dir, topic, until, timeout=60):
    """The decoded records of topic (avro_tool), read again until until(rows)."""
    out = os.path.join(run_dir, "contract-%s.jsonl" % topic)
    end = time.monotonic() + timeout
    rows = []
    while time.monotonic() < end:
        r = subprocess.run(reader + ["read", "--bootstrap", bs, "--registry", reg,
                                     "--topic", topic, "--out", out, "--timeout", "30"],
                           capture_output=True, text=True, timeout=120)
        check(r.returncode == 0, "avro_tool read %s: %s%s" % (topic, r.stdout, r.stderr[-1500:]))
        with open(out) as f:
            rows = [json.loads(ln) for ln in f]
        if until(rows):
            return rows
        time.sleep(1)
    raise Fail("%s: condition not met in %ds; %d records: %s"
               % (topic, timeout, len(rows), [r["value"].get("status") for r in rows]))


def hdrs(row):
    out = {}
    for k, v in row["headers"]:
        out.setdefault(k, []).append(v)
    return out


def check_ce(h, v, where):
    at = v["occurred_at"]  # avro_tool prints timestamp-millis as a datetime
    want_time = (at if isinstance(at, str) else
                 datetime.datetime.fromtimestamp(at / 1000, datetime.timezone.utc).isoformat())
    check(h.get("ce_specversion") == ["1.0"], "%s: ce_specversion %s" % (where, h))
    check(h.get("ce_id") == [v["event_id"]], "%s: ce_id %s, event_id %s"
          % (where, h.get("ce_id"), v["event_id"]))
    check(h.get("ce_type") == ["io.payatom.worker." + v["event_type"]],
          "%s: ce_type %s" % (where, h.get("ce_type")))
    check(h.get("ce_source") == [SOURCE], "%s: ce_source %s" % (where, h.get("ce_source")))
    check(h.get("content-type") == ["application/avro"], "%s: content-type %s"
          % (where, h.get("content-type")))
    ce_time = h.get("ce_time", [""])[0]
    parsed = datetime.datetime.strptime(ce_time, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc)
    check(abs(parsed.timestamp() - datetime.datetime.fromisoformat(
        str(want_time).replace("Z", "+00:00")).timestamp()) < 0.002,
          "%s: ce_time %s, occurred_at %s" % (where, ce_time, want_time))
    if v.get("order_id"):
        check(h.get("ce_subject") == [v["order_id"]], "%s: ce_subject %s"
              % (where, h.get("ce_subject")))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True, help="harness run (single --with-registry)")
    ap.add_argument("--bin", required=True, help="directory with the programs")
    a = ap.parse_args()
    t0 = time.monotonic()
    sbx = w = None
    try:
        env = kh.env_of(kh.Run(a.dir).load())
        bs, reg = env["PAYATOM_TEST_BOOTSTRAP"], env.get("PAYATOM_TEST_SCHEMA_REGISTRY_URL")
        check(reg, "the run has no registry (start it with --with-registry)")
        reader = env["PAYATOM_TEST_AVRO_READER"].split()
        wport = free_port()
        sbx, sport = sandbox(a.bin, a.dir, wport)
        w = Worker(os.path.join(a.bin, "payatom-worker"), a.dir, "contract", bs, reg, "ch",
                   ["merchant.ch.pid = %s" % PID, "merchant.ch.secret = %s" % SECRET,
                    "merchant.ch.base.url = http://127.0.0.1:%d" % sport,
                    "http.listen = 127.0.0.1:%d" % wport, "poll.first = 2s",
                    "events.headers = x-tenant", "events.cloudevents = true",
                    "events.cloudevents.source = " + SOURCE])
        check(w.wait_started(90), "the worker did not start:\n" + "".join(w.out)[-3000:])
        order = "APPROVE%d" % os.getpid()
        sent = [("traceparent", TP), ("tracestate", TS), ("x-tenant", "acme"),
                ("authorization", "Bearer s3cr3t-token")]
        send(bs, "ch.cmd.payin", order, payin(order, "c-contract-1", META), sent)
        big = {"k%02d" % i: "v" for i in range(21)}
        bad = "BADMETA%d" % os.getpid()
        send(bs, "ch.cmd.payin", bad, payin(bad, "c-contract-2", big), sent)

        rows = read(bs, reg, reader, a.dir, "ch.evt.payment",
                    lambda rs: any(r["value"]["order_id"] == order and
                                   r["value"]["status"] == "SUCCEEDED" for r in rs))
        mine = [r for r in rows if r["value"]["order_id"] == order]
        by = {r["value"]["status"]: r for r in mine}
        check("PENDING" in by and "SUCCEEDED" in by, "statuses %s" % sorted(by))
        for st, r in by.items():
            v, h = r["value"], hdrs(r)
            where = "%s event" % st
            check(v["schema_version"] == 2, "%s: schema_version %s" % (where, v["schema_version"]))
            check(v["metadata"] == META, "%s: metadata %s" % (where, v["metadata"]))
            check(h.get("traceparent") == [TP] and h.get("tracestate") == [TS],
                  "%s: trace context %s" % (where, h))
            check("authorization" not in h, "%s: the credential was copied" % where)
            check_ce(h, v, where)
        p, s = by["PENDING"]["value"], by["SUCCEEDED"]["value"]
        check(p["cause"] == "COMMAND" and p["command_id"] == "c-contract-1" and
              p["cause_id"] is None, "PENDING cause %s/%s/%s"
              % (p["cause"], p["command_id"], p["cause_id"]))
        check(hdrs(by["PENDING"]).get("x-tenant") == ["acme"], "PENDING: x-tenant not copied")
        check(s["cause"] in ("WEBHOOK", "POLL") and s["command_id"] is None and s["cause_id"],
              "SUCCEEDED cause %s/%s/%s" % (s["cause"], s["command_id"], s["cause_id"]))
        if s["cause"] == "WEBHOOK":
            check(s["cause_id"].startswith("ch.int.webhook:"), "cause_id %s" % s["cause_id"])
        say("%s: PENDING caused by command c-contract-1, SUCCEEDED by %s %s; both carry "
            "traceparent %s, metadata %s and CloudEvents ce_id=event_id, ce_type %s"
            % (order, s["cause"], s["cause_id"], TP[:20] + "...", META,
               hdrs(by["PENDING"])["ce_type"][0]))

        rows = read(bs, reg, reader, a.dir, "ch.dlq",
                    lambda rs: any(r["value"].get("order_id") == bad for r in rs))
        r = next(r for r in rows if r["value"].get("order_id") == bad)
        v, h = r["value"], hdrs(r)
        check(v["reason"] == "MALFORMED" and "metadata: 21 keys" in v["message"],
              "dead letter %s: %s" % (v["reason"], v["message"]))
        check(v["command_id"] == "c-contract-2" and v["metadata"] is None,
              "dead letter command_id %s metadata %s" % (v["command_id"], v["metadata"]))
        check(h.get("traceparent") == [TP] and h.get("x-tenant") == ["acme"] and
              "authorization" not in h, "dead letter headers %s" % sorted(h))
        check_ce(h, v, "dead letter")
        say("%s: dead letter MALFORMED (%s) with the command's trace context, x-tenant and "
            "CloudEvents type %s" % (bad, v["message"], h["ce_type"][0]))
    except (Fail, kh.HarnessError, KeyError, subprocess.TimeoutExpired) as e:
        print("contract_headers: FAIL: %s" % e, flush=True)
        return 1
    finally:
        if w:
            rc, _, text = w.stop()
            if rc != 0:
                print(text[-2000:])
        if sbx:
            sbx.send_signal(signal.SIGTERM)
            try:
                sbx.wait(timeout=10)
            except subprocess.TimeoutExpired:
                sbx.kill()
    say("OK in %.1fs" % (time.monotonic() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
