#!/usr/bin/env python3
"""run.py -- the differential test of issue 13 (docs/gateway-fidelity.md).

gen.php (seeded) writes callback / poll-answer bodies sealed with the docs'
encrypt(), V2 bodies and request-side inputs; pa_diff prints libpayatom's
verdict on each, verdict.php the docs' PHP verdict. Every disagreement fails
the test with the case that caused it, unless it is one of the deliberate
differences of include/payatom/api.h, which are counted by name. Checks that
need no PHP come on top: libpayatom never accepts a body sealed with another
secret, never acts on an amount the hash does not cover, and says a body is
usable exactly when it has an order_id and a status to act on.

With --worker, a sample of the bodies is then posted to a running
payatom-worker (mock cluster in-process): no body the docs' PHP accepts may
be answered 400 (bar api.h D4), and every answer must be the one the
library's verdict predicts.

  run.py --driver build/bin/pa_diff --work DIR [--seed N] [--bodies N]
         [--v2 N] [--requests N] [--worker build/bin/payatom-worker --post N]

The seed is printed first; PAYATOM_DIFF_SEED=<seed> replays a run.
Exit 0 pass, 1 fail, 77 skipped (no php).
"""
import argparse
import base64
import collections
import concurrent.futures
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from decimal import Decimal

HERE = os.path.dirname(os.path.abspath(__file__))
MONEY = re.compile(rb"^[0-9]+(\.[0-9]{1,2})?$")
LENIENT = {"received_php", "received_2dp", "amount_php", "requested_as_sent",
           "requested_php"}
MAX_BODY = 64 * 1024
MAX_SHOWN = 8


def b64d(s):
    return base64.b64decode(s)


def money(text):
    """Decimal of a money text as libpayatom's pa_money_parse reads it."""
    if len(text) <= 40 and MONEY.match(text):
        return Decimal(text.decode())
    return None


def load_json(body):
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None


def out_of_range_anywhere(body):
    """Any number token of the body (a repeated key's earlier values too:
    jansson reads every token) PHP reads as a float and jansson cannot hold
    (api.h D4)."""
    try:
        j = json.loads(body.decode("utf-8"), object_pairs_hook=lambda p: [v for _, v in p])
    except (UnicodeDecodeError, ValueError, RecursionError):
        return False
    return out_of_range(j)


def out_of_range(v):
    if isinstance(v, bool):
        return False
    if isinstance(v, int):
        return not -2**63 <= v < 2**63
    if isinstance(v, float):
        return v in (float("inf"), float("-inf"))
    if isinstance(v, dict):
        return any(out_of_range(x) for x in v.values())
    if isinstance(v, list):
        return any(out_of_range(x) for x in v)
    return False


def expect_usable(j):
    """pa_txn_update_usable, independently: order_id a non-empty string or
    integer without NUL, status a non-empty string without NUL."""
    if not isinstance(j, dict):
        return False
    oid, st = j.get("order_id"), j.get("status")
    oid_ok = (isinstance(oid, str) and oid != "" and "\0" not in oid) or \
        (isinstance(oid, int) and not isinstance(oid, bool))
    st_ok = isinstance(st, str) and st != "" and "\0" not in st
    return oid_ok and st_ok


def read_tsv(path):
    rows = {}
    with open(path, "rb") as f:
        for line in f:
            p = line.rstrip(b"\n").decode("ascii").split("\t")
            if p[0] in "WVR":
                rows[(p[0], p[1])] = p
    return rows


class Report:
    def __init__(self, seed):
        self.seed = seed
        self.counts = collections.Counter()
        self.deliberate = collections.Counter()
        self.failures = collections.Counter()
        self.shown = 0

    def fail(self, what, case, **info):
        self.failures[what] += 1
        if self.shown >= MAX_SHOWN:
            return
        self.shown += 1
        print(f"DISAGREEMENT {what}: case {case[0]} {case[1]} (seed {self.seed})")
        for k, v in info.items():
            if isinstance(v, bytes):
                v = repr(v[:700]) + (" ...(%d bytes)" % len(v) if len(v) > 700 else "")
            print(f"    {k}: {v}")


def compare_bodies(cases, c, php, rep):
    """W rows. Returns {id: (php_ok, c verdict row)} for the ingress step."""
    verdicts = {}
    for key, w in cases.items():
        if key[0] != "W":
            continue
        body = b64d(w[3])
        truth = dict(kv.split("=", 1) for kv in w[4].split(";"))
        cv, pv = c[key], php[key]
        c_ok, c_var, c_usable, c_amt, c_err = cv[2] == "ok", cv[3], cv[4] == "1", cv[5], cv[6]
        p_ok, p_form, p_mac = pv[2] == "HashMatched", pv[3], pv[4] == "1"
        info = dict(body=body, truth=w[4], php=pv[2:5], libpayatom=cv[2:])
        verdicts[w[1]] = (p_ok, cv)
        # checks that need no PHP
        if c_ok and truth["sealed"] != "merchant":
            rep.fail("accepted_foreign_seal", key, **info)
        if c_ok and not p_mac:
            rep.fail("accepted_what_docs_decrypt_refuses", key, **info)
        if c_ok and c_amt != "-":
            covered = money(b64d(truth["hashed"]))
            if covered is None or Decimal(c_amt) != covered * 100:
                rep.fail("acts_on_unhashed_amount", key, **info)
        if c_ok and c_usable != expect_usable(load_json(body)):
            rep.fail("usable_wrong", key, **info)
        if c_ok and not c_usable:
            rep.counts["verified_not_usable (D3)"] += 1
        # the verdicts
        if p_ok == c_ok:
            rep.counts["agree: " + ("accepted as " + c_var if c_ok else "refused")] += 1
            continue
        if p_ok:
            rt, at = b64d(pv[5]), b64d(pv[6])
            if c_err == "UNHASHED_AMOUNT" and p_form == "amount" and rt != b"" and \
                    (money(rt) is None or money(rt) != money(at)):
                rep.deliberate["unhashed_received_amount (D1)"] += 1
            elif c_err == "PARSE" and out_of_range_anywhere(body):
                rep.deliberate["number_out_of_range (D4)"] += 1
            elif c_err == "TOO_BIG" and len(body) > MAX_BODY:
                rep.deliberate["too_large (D6)"] += 1
            else:
                rep.fail("php_accepts_libpayatom_refuses", key, **info)
        else:
            if c_var in LENIENT and p_mac:
                rep.deliberate["lenient_" + c_var + " (D2)"] += 1
            else:
                rep.fail("libpayatom_accepts_php_refuses", key, **info)
    return verdicts


def compare_v2(cases, c, php, rep):
    for key, v in cases.items():
        if key[0] != "V":
            continue
        cv, pv = c[key], php[key]
        if cv[2:5] == pv[2:5]:
            rep.counts["agree: v2 " + ("signed" if cv[2] != "-" else "refused")] += 1
            continue
        j = load_json(b64d(v[3]))
        numeric_key = isinstance(j, dict) and any(
            k[:1] in "0123456789-+. \t\n\r\v\f" and k != "" for k in j if k != "signature")
        if cv[5] == "UNSUPPORTED" and numeric_key:
            rep.deliberate["numeric_looking_top_level_key (D5)"] += 1
            continue
        rep.fail("v2_canonical_or_signature", key, body=b64d(v[3]),
                 php=b64d(pv[2]) if pv[2] != "-" else "-",
                 libpayatom=b64d(cv[2]) if cv[2] != "-" else cv[5],
                 sha=(pv[3], cv[3]), hmac=(pv[4], cv[4]))


def compare_requests(cases, c, php, rep):
    for key, r in cases.items():
        if key[0] != "R":
            continue
        kind, cv, pv = r[3], c[key], php[key]
        info = dict(kind=kind, a=b64d(r[4]), b=b64d(r[5]), php=pv[2:], libpayatom=cv[2:])
        if cv[4] != "OK":
            rep.counts[f"request {kind}: refused by the builder ({cv[4]})"] += 1
            if kind in ("poll", "refund", "recon", "wallet"):
                rep.fail("request_formula_failed", key, **info)
            continue
        if cv[2] != pv[2]:
            rep.fail("request_digest", key, **info)
        elif pv[3] not in ("1", "-"):
            rep.fail("request_not_accepted_by_gateway_php", key, **info)
        elif pv[3] == "-" and kind not in ("recon", "wallet"):
            rep.fail("request_not_checked", key, **info)
        else:
            rep.counts[f"agree: request {kind}"] += 1


# ---- posting to a running worker -------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(port, method, path, body=None, timeout=30):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body,
                     headers={"Content-Type": "application/json"} if body is not None else {})
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def predicted(p_ok, cv, body):
    """The answer the ingress must give (webhook_ingress.h table)."""
    c_ok, c_usable, c_err = cv[2] == "ok", cv[4] == "1", cv[6]
    if len(body) > MAX_BODY:
        return 413, None, "too_large (not counted)"
    if c_ok:
        return (200, b'{"hash_status":"HashMatched","acknowledge":"yes"}', "verified") \
            if c_usable else \
            (200, b'{"hash_status":"HashMatched","acknowledge":"no"}', "unusable")
    if c_err == "UNHASHED_AMOUNT":
        return 200, b'{"hash_status":"HashMismatch","acknowledge":"no"}', "unhashed_amount"
    if c_err in ("HASH_MISMATCH",):
        return 200, b'{"hash_status":"HashMismatch","acknowledge":"no"}', "hash_mismatch"
    return 400, b'{"hash_status":"HashMismatch","acknowledge":"no"}', "malformed"


def post_to_worker(args, cases, verdicts, secrets, rep, rng):
    work = args.work
    port = free_port()
    conf = [f"http.listen = 127.0.0.1:{port}", "log.level = warn",
            "topics.partitions = 4", "poll.first = 1h", "poll.max.interval = 1h"]
    for i, s in secrets.items():
        path = os.path.join(work, f"secret{i}")
        with open(path, "wb") as f:
            f.write(s)
        conf += [f"merchant.m{i}.pid = PID{i}", f"merchant.m{i}.secret = @{path}",
                 f"merchant.m{i}.base.url = http://127.0.0.1:9", f"merchant.m{i}.country = IN"]
    conf_path = os.path.join(work, "worker.conf")
    with open(conf_path, "w") as f:
        f.write("\n".join(conf) + "\n")
    # the sample: every deliberate or lenient case there is (bounded), then
    # bodies the docs' PHP accepts, then others
    ids = sorted(verdicts, key=int)
    special = [i for i in ids if verdicts[i][0] != (verdicts[i][1][2] == "ok")]
    accepted = [i for i in ids if verdicts[i][0] and i not in special]
    refused = [i for i in ids if not verdicts[i][0] and i not in special]
    n = args.post
    sample = rng.sample(special, min(len(special), n // 4))
    sample += rng.sample(accepted, min(len(accepted), (n - len(sample)) * 2 // 3))
    sample += rng.sample(refused, min(len(refused), n - len(sample)))
    log = open(os.path.join(work, "worker.log"), "wb")
    proc = subprocess.Popen([args.worker, "--config", conf_path], stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if call(port, "GET", "/readyz", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                print("FAIL: payatom-worker did not become ready; log in", log.name)
                return False
            time.sleep(0.1)

        def one(i):
            w = cases[("W", i)]
            body = b64d(w[3])
            st, ans = call(port, "POST", f"/webhooks/payatom/m{w[2]}", body)
            return i, body, st, ans

        want_results = collections.Counter()
        bad400 = 0
        with concurrent.futures.ThreadPoolExecutor(8) as ex:
            for i, body, st, ans in ex.map(one, sample):
                p_ok, cv = verdicts[i]
                w_st, w_ans, result = predicted(p_ok, cv, body)
                want_results[result] += 1
                key = ("W", i)
                if p_ok and st == 400 and not out_of_range_anywhere(body):
                    bad400 += 1
                    rep.fail("ingress_400_for_php_accepted", key, body=body, answer=ans)
                elif st != w_st or (w_ans is not None and ans != w_ans):
                    rep.fail("ingress_answer", key, body=body, got=(st, ans), want=(w_st, w_ans),
                             libpayatom=cv[2:])
                rep.counts[f"ingress: {st} {result}"] += 1
        # the worker counted each answer under its result label
        st, metrics = call(port, "GET", "/metrics")
        got = collections.Counter()
        for line in metrics.decode().splitlines():
            m = re.match(r'payatom_webhooks_received_total\{result="([a-z_]+)"\} ([0-9.e+]+)', line)
            if m:
                got[m.group(1)] = int(float(m.group(2)))
        for result, n_want in want_results.items():
            if "not counted" not in result and got[result] != n_want:
                rep.fail("ingress_metric", ("metric", result), want=n_want, got=got[result])
        accepted_posted = sum(1 for i in sample if verdicts[i][0])
        print(f"differential: ingress: {len(sample)} bodies posted, {accepted_posted} the docs' "
              f"PHP accepts, {bad400} of them answered 400; results {dict(got)}")
        return True
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--driver", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--seed", type=int)
    ap.add_argument("--bodies", type=int, default=120000)
    ap.add_argument("--v2", type=int, default=20000)
    ap.add_argument("--requests", type=int, default=20000)
    ap.add_argument("--php", default="php")
    ap.add_argument("--worker")
    ap.add_argument("--post", type=int, default=2000)
    args = ap.parse_args()
    seed = args.seed or int(os.environ.get("PAYATOM_DIFF_SEED", "0")) or \
        random.SystemRandom().randrange(1, 2**31)
    print(f"differential: seed {seed} (replay: PAYATOM_DIFF_SEED={seed})", flush=True)
    if not shutil.which(args.php):
        print("differential: php not found, skipped")
        return 77
    os.makedirs(args.work, exist_ok=True)
    cases_p, c_p, php_p = (os.path.join(args.work, n) for n in ("cases.tsv", "c.tsv", "php.tsv"))
    t0 = time.monotonic()
    with open(cases_p, "wb") as f:
        subprocess.run([args.php, os.path.join(HERE, "gen.php"), str(seed), str(args.bodies),
                        str(args.v2), str(args.requests)], stdout=f, check=True)
    t1 = time.monotonic()
    with open(c_p, "wb") as f:
        subprocess.run([args.driver, cases_p], stdout=f, check=True)
    t2 = time.monotonic()
    with open(php_p, "wb") as f:
        subprocess.run([args.php, os.path.join(HERE, "verdict.php"), cases_p, c_p],
                       stdout=f, check=True)
    t3 = time.monotonic()
    cases, c, php = read_tsv(cases_p), read_tsv(c_p), read_tsv(php_p)
    secrets = {}
    with open(cases_p, "rb") as f:
        for line in f:
            if line.startswith(b"S\t"):
                p = line.rstrip(b"\n").decode().split("\t")
                secrets[int(p[1])] = b64d(p[2])
    missing = [k for k in cases if k not in c or k not in php]
    if missing:
        print(f"FAIL: {len(missing)} cases without a verdict, e.g. {missing[:3]}")
        return 1
    rep = Report(seed)
    verdicts = compare_bodies(cases, c, php, rep)
    compare_v2(cases, c, php, rep)
    compare_requests(cases, c, php, rep)
    print(f"differential: {args.bodies} callback/poll bodies, {args.v2} V2 bodies, "
          f"{args.requests} request-side cases (gen {t1 - t0:.1f}s, libpayatom {t2 - t1:.1f}s, "
          f"docs' PHP {t3 - t2:.1f}s)")
    for k, v in sorted(rep.counts.items()):
        print(f"  {v:7d}  {k}")
    print("  deliberate differences (include/payatom/api.h):")
    for k, v in sorted(rep.deliberate.items()):
        print(f"  {v:7d}  {k}")
    if args.worker and not post_to_worker(args, cases, verdicts, secrets, rep,
                                          random.Random(seed)):
        return 1
    n_fail = sum(rep.failures.values())
    print(f"differential: disagreements {n_fail}" +
          (" " + dict(rep.failures).__repr__() if n_fail else "") +
          f", deliberate {sum(rep.deliberate.values())} (seed {seed})")
    return 1 if n_fail else 0


if __name__ == "__main__":
    sys.exit(main())
