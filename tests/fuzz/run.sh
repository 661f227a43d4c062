#!/usr/bin/env bash
# tests/fuzz/run.sh BUILD_DIR SECONDS [PARALLEL] [TARGET...]
# Runs each libFuzzer target of BUILD_DIR (configured with PAYATOM_FUZZ=ON)
# for SECONDS, PARALLEL at a time (default 2), on its corpus
# BUILD_DIR/fuzz/corpus/<target> (kept between runs, grown by libFuzzer) plus
# fresh seeds from tests/data, with a dictionary made from the sources.
# Prints per target: executions, executions/s, edges covered (libFuzzer's
# "cov"), features, corpus size. Any crash, leak, sanitizer report or
# timeout fails the run; its reproducer is kept in
# BUILD_DIR/fuzz/artifacts/<target>/ and printed as base64, so it can be
# saved from a CI log: base64 -d > tests/fuzz/regress/<target>/<name>
# (replayed by CTest fuzz_replay_<target> from then on).
set -uo pipefail
build=${1:?usage: run.sh BUILD_DIR SECONDS [PARALLEL] [TARGET...]}
secs=${2:-20}
[ "$secs" -gt 0 ] || { echo "fuzz: SECONDS must be > 0"; exit 2; }
par=${3:-2}
shift $(( $# < 3 ? $# : 3 ))
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
data=$root/tests/data
bin=$(cd "$build" && pwd)/bin
out=$(cd "$build" && pwd)/fuzz
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(webhook crypto replies codec_json codec_avro http config)
export PAYATOM_TEST_DATA=$data
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

mkdir -p "$out"
rm -rf "$out/seeds" "$out/logs"
mkdir -p "$out/seeds" "$out/logs" "$out/dict"
python3 "$here/mkdict.py" "$root" "$out/dict" >/dev/null || exit 1

seed() { # seed TARGET FILES...
  local t=$1; shift
  mkdir -p "$out/seeds/$t"
  for f in "$@"; do [ -f "$f" ] && cp "$f" "$out/seeds/$t/"; done
  return 0
}
seed webhook "$data"/webhook/*.json
seed crypto "$here"/seeds/crypto/*
seed replies "$data"/spec/*.json "$data"/reports/*.json "$data"/webhook/*.json
seed codec_json "$data"/avro/samples/*.json
i=0
for f in "$data"/ctl/*.jsonl; do
  while IFS= read -r line; do
    i=$((i+1)); printf '%s' "$line" > "$out/seeds/codec_json/ctl_$i.json"
  done < "$f"
done
seed codec_avro
seed http "$here"/seeds/http/*
seed config "$data"/config/*.conf "$data"/sandbox/*.conf "$data"/reports/*.conf
# Avro seeds in both framings, encoded by the target's own codec
for t in codec_json codec_avro; do
  PW_FUZZ_WRITE_SEEDS="$out/seeds/$t" "$bin/fuzz_$t" -runs=0 "$out/seeds/$t" \
    >"$out/logs/$t.seeds.log" 2>&1 || { cat "$out/logs/$t.seeds.log"; exit 1; }
done

dict_of() {
  case $1 in
    webhook|replies|codec_json) echo json.dict ;;
    codec_avro) echo avro.dict ;;
    http) echo http.dict ;;
    config) echo config.dict ;;
    *) echo "" ;;
  esac
}

one() { # one TARGET: runs it, writes logs/TARGET.log and .rc
  local t=$1 d
  d=$(dict_of "$t")
  mkdir -p "$out/corpus/$t" "$out/artifacts/$t"
  # -timeout: one input taking 10 s is a hang; the outer timeout bounds
  # the whole run should libFuzzer itself stall
  timeout -k 10 $((secs + 120)) "$bin/fuzz_$t" \
    -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$out/artifacts/$t/" \
    ${d:+-dict="$out/dict/$d"} "$out/corpus/$t" "$out/seeds/$t" \
    </dev/null >"$out/logs/$t.log" 2>&1
  echo $? >"$out/logs/$t.rc"
}

start=$(date +%s)
running=0
for t in "${targets[@]}"; do
  [ -x "$bin/fuzz_$t" ] || { echo "fuzz: $bin/fuzz_$t missing (build with PAYATOM_FUZZ=ON)"; exit 1; }
  one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$par" ]; then wait -n; running=$((running - 1)); fi
done
wait

fail=0
printf '%-12s %12s %9s %7s %7s %7s  %s\n' target executions exec/s edges features corpus result
for t in "${targets[@]}"; do
  log=$out/logs/$t.log
  rc=$(cat "$out/logs/$t.rc" 2>/dev/null || echo 1)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1)
  cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.*ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.*corp: \([0-9]*\).*/\1/p' <<<"$last")
  res=ok
  if [ "$rc" != 0 ]; then res="FAILED (exit $rc)"; fail=1; fi
  printf '%-12s %12s %9s %7s %7s %7s  %s\n' "$t" "${execs:-?}" "${eps:-?}" \
    "${cov:-?}" "${ft:-?}" "${corp:-?}" "$res"
done
for t in "${targets[@]}"; do
  [ "$(cat "$out/logs/$t.rc" 2>/dev/null || echo 1)" = 0 ] && continue
  echo "== fuzz_$t failed; the end of its log ($out/logs/$t.log):"
  grep -v '^#[0-9]' "$out/logs/$t.log" | tail -60
  for a in "$out/artifacts/$t"/*; do
    [ -f "$a" ] || continue
    echo "== reproducer $a ($(stat -c %s "$a") bytes), base64:"
    base64 -w 0 "$a"; echo
    echo "   keep it: base64 -d > tests/fuzz/regress/$t/$(basename "$a")"
  done
done
echo "fuzz: ${#targets[@]} targets, ${secs}s each, $par at a time, $(( $(date +%s) - start ))s"
exit $fail
