#!/usr/bin/env python3
"""perf_stages.py -- the worker's CPU by stage of a payin, from a perf
profile with call chains (docs/performance.md, "Where the microseconds go").

    perf record -e cpu-clock -F 999 --call-graph dwarf,16384 -p PID -o w.data
    perf_stages.py w.data [--payins N] [--cpu-us US]

Each sample is given to the first stage whose pattern matches a frame of its
call chain, walking from the leaf towards main(): a malloc under
pw_codec_encode counts as "event encode", the kernel's TCP work under
curl's send() as "HTTP client". librdkafka's own threads (rdk:*) are one
stage. Prints each stage's share of the samples, and with --payins (and
--cpu-us, the measured CPU per payin) its microseconds per payin, plus the
kernel's part of each stage. Python 3 standard library and `perf script`.
"""
import argparse
import collections
import re
import subprocess
import sys

# (stage, regular expression on the symbol), tried in this order on every
# frame; the first frame (leaf first) that matches any decides.
STAGES = [
    ("logging", r"^pw_log|^pw__log|^log_emit|^redact"),
    ("metrics", r"^pw_metrics|^pw_counter|^pw_gauge|^pw_hist|^metric_"),
    ("command decode", r"^pw_codec_decode$|^pw__decode|^decode_json|^pw_cmdj_|^pw__avro_read"),
    ("command checks", r"^pw_cmd_check"),
    ("event build", r"^pw_event_build|^pw_dead_letter_build|^event_head|^pw_event_"),
    ("event encode", r"^pw_codec_encode|^pa_json_dump$|^pw__json_conform|^pw_evw_"),
    ("state record", r"^pw_order_encode|^pw_order_pack|^pw_order_unpack|^pw_order_rest"),
    ("request build + seal", r"^pa_build_|^pa_seal|^pa__req_|^build_payin|^gw_submit$|^gw_status$|^pa_sign_"),
    ("reply parse + verify", r"^pa_parse_|^pa_open|^pa_txn_update_verify|^pa_webhook_parse|^pa__reply|^pa_payin_result_clear|^pa_txn_update_clear"),
    ("webhook ingress", r"^pw_ingress|^ingress_|^wh_"),
    ("HTTP listener (MHD)", r"^MHD_|^pw_http_"),
    ("produce", r"^rd_kafka_producev$|^rd_kafka_produce|^pw__produce"),
    ("delivery reports + offsets", r"^pw__item_written|^pw_offtrack|^dr_msg_cb|^on_delivery|^pw__commit|^rd_kafka_commit|^rd_kafka_offsets_store"),
    ("order state + gate", r"^pw_gate_|^pw_hmap_|^order_new|^pw__order_get|^pw_order_apply|^order_rest|^item_"),
    ("HTTP client (libcurl)", r"^curl_|^Curl_|^pa_client_|^pa_call|^pw_loop_curl|^sock_tramp|^timer_tramp"),
    ("consume", r"^rd_kafka_consume|^rd_kafka_consumer_poll|^serve_consumer|^pw__on_message|^rd_kafka_queue_poll"),
    ("Kafka poll (main thread)", r"^rd_kafka_poll$|^serve_producer|^pw_kq_"),
    ("timers", r"^run_timers|^pw_timer_|^heap_|^sift_"),
    ("loop (epoll)", r"^pw_loop_run_once|^epoll_wait|^run_io"),
]
COMPILED = [(name, re.compile(p)) for name, p in STAGES]


def samples(path):
    """Yields (comm, [(sym, dso)...] leaf first) per sample."""
    cmd = ["perf", "script", "-i", path, "-F", "comm,tid,ip,sym,dso"]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         text=True, errors="replace")
    comm, frames = None, []
    for line in p.stdout:
        if not line.strip():
            if comm is not None:
                yield comm, frames
            comm, frames = None, []
            continue
        if not line[0].isspace():
            comm = line.split()[0]
            frames = []
            continue
        m = re.match(r"\s*[0-9a-f]+\s+(.*?)\s+\((.*)\)\s*$", line)
        if m:
            sym = m.group(1)
            sym = re.sub(r"\+0x[0-9a-f]+$", "", sym)
            sym = sym.replace(" (inlined)", "")
            frames.append((sym, m.group(2)))
    if comm is not None:
        yield comm, frames
    p.wait()


def classify(comm, frames):
    if comm.startswith("rdk:"):
        return "librdkafka threads"
    for sym, _ in frames:
        for name, rx in COMPILED:
            if rx.search(sym):
                return name
    for sym, _ in frames:
        if sym in ("dl_main", "_dl_start", "_dl_relocate_object"):
            return "start-up"
    if any(s == "main" for s, _ in frames):
        return "other (main thread)"
    return "other"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("data")
    ap.add_argument("--payins", type=int, default=0,
                    help="payins completed in the profiled window")
    ap.add_argument("--cpu-us", type=float, default=0,
                    help="measured worker CPU per payin (scales the shares)")
    ap.add_argument("--top", type=int, default=0,
                    help="also the N hottest leaf symbols of each stage")
    a = ap.parse_args()
    total = 0
    by = collections.Counter()
    kern = collections.Counter()
    leaves = collections.defaultdict(collections.Counter)
    for comm, frames in samples(a.data):
        total += 1
        st = classify(comm, frames)
        by[st] += 1
        if frames and frames[0][1].startswith("[kernel"):
            kern[st] += 1
        if a.top and frames:
            leaves[st][frames[0][0] + " (" + frames[0][1].split("/")[-1] + ")"] += 1
    if not total:
        sys.exit("perf_stages: no samples in %s" % a.data)
    us = a.cpu_us if a.cpu_us else 0
    print("%-28s %8s %7s %9s %8s" % ("stage", "samples", "share", "us/payin",
                                      "kernel"))
    for st, n in by.most_common():
        share = n / total
        col = "%9.1f" % (share * us) if us else "%9s" % "-"
        print("%-28s %8d %6.1f%% %s %7.0f%%" % (st, n, 100 * share, col,
                                               100 * kern[st] / n))
        if a.top:
            for sym, k in leaves[st].most_common(a.top):
                print("    %6.1f%%  %s" % (100 * k / total, sym))
    print("%-28s %8d %6.1f%% %s %7.0f%%" % (
        "total", total, 100.0, "%9.1f" % us if us else "%9s" % "-",
        100 * sum(kern.values()) / total))
    if a.payins:
        print("samples per payin: %.3f" % (total / a.payins))


if __name__ == "__main__":
    main()
