#!/usr/bin/python3
"""Interoperability of the worker's Avro with an independent implementation
(Debian's python3-avro 1.11), reading the .avsc files of schemas/:

1. canonical forms and CRC-64-AVRO fingerprints agree for every schema;
2. every record our C writes (single-object and Confluent framing) is
   decoded by python3-avro with the .avsc and equals the sample;
3. records python3-avro writes (single-object, Confluent, and plain JSON)
   are decoded by our C into the same record.

Exit 0 = pass, 1 = failure, 77 = python3-avro missing (CTest: skipped)."""
import argparse
import base64
import datetime
import io
import json
import os
import struct
import subprocess
import sys

try:
    import avro.io
    import avro.schema
except ImportError:
    print("python3-avro not installed: skipped")
    sys.exit(77)

EMPTY = 0xC15D213AA4D7A795
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def crc64_avro(data):
    """Avro spec, 'Schema Fingerprints' reference algorithm."""
    table = []
    for i in range(256):
        fp = i
        for _ in range(8):
            fp = (fp >> 1) ^ (EMPTY & -(fp & 1))
        table.append(fp)
    fp = EMPTY
    for b in data:
        fp = (fp >> 8) ^ table[(fp ^ b) & 0xFF]
    return fp


PRIMITIVES = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}


def spec_canonical(py_form):
    """python3-avro 1.11.1 leaves a logical-type primitive as {"type":"long"}
    in its canonical form; the spec's [PRIMITIVES] rule (and the Java
    reference, SchemaNormalization) writes "long". Apply that rule to
    python's output; everything else is taken from python unchanged."""
    def fix(n):
        if isinstance(n, dict):
            if set(n) == {"type"} and n["type"] in PRIMITIVES:
                return n["type"]
            return {k: fix(v) for k, v in n.items()}
        if isinstance(n, list):
            return [fix(v) for v in n]
        return n
    return json.dumps(fix(json.loads(py_form)), separators=(",", ":"),
                      ensure_ascii=False)


def plain(v):
    """python3-avro datum -> the worker's plain JSON mapping."""
    if isinstance(v, datetime.datetime):
        return (v - EPOCH) // datetime.timedelta(milliseconds=1)
    if isinstance(v, bytes):
        return base64.b64encode(v).decode()
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [plain(x) for x in v]
    return v


def to_datum(t, v, named):
    """plain JSON -> python3-avro datum, driven by the .avsc JSON."""
    if isinstance(t, list):
        if v is None:
            return None
        branch = [b for b in t if b != "null"][0]
        return to_datum(branch, v, named)
    if isinstance(t, str):
        if t in named:
            return to_datum(named[t], v, named)
        if t == "bytes":
            return base64.b64decode(v)
        return v
    kind = t["type"]
    if kind in ("record", "enum", "fixed"):
        named[t["name"]] = t
        named["io.payatom.worker." + t["name"]] = t
    if kind == "record":
        return {f["name"]: to_datum(f["type"], v.get(f["name"], f.get("default")), named)
                for f in t["fields"]}
    if kind == "array":
        return [to_datum(t["items"], x, named) for x in v]
    if kind == "map":
        return {k: to_datum(t["values"], x, named) for k, x in v.items()}
    if t.get("logicalType") == "timestamp-millis":
        return EPOCH + datetime.timedelta(milliseconds=v)
    if kind == "enum":
        return v
    return to_datum(kind, v, named)


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise AssertionError("%s failed: %s" % (" ".join(cmd), r.stderr.strip()))
    return r.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tool", required=True)
    ap.add_argument("--schemas", required=True)
    ap.add_argument("--samples", required=True)
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    failures = []

    def check(cond, msg):
        if not cond:
            failures.append(msg)
            print("FAIL:", msg)

    files = sorted(f for f in os.listdir(a.schemas) if f.endswith(".avsc"))
    texts = {f: open(os.path.join(a.schemas, f)).read() for f in files}
    schemas = {f: avro.schema.parse(texts[f]) for f in files}

    # 1. canonical form + fingerprint
    ours = [json.loads(l) for l in run([a.tool, "canonical"]).splitlines()]
    check(len(ours) == len(files), "schema count %d != %d" % (len(ours), len(files)))
    for o in ours:
        py = spec_canonical(schemas[o["file"]].canonical_form)
        check(o["canonical"] == py, "%s: canonical form differs\n ours %s\n py   %s"
              % (o["file"], o["canonical"], py))
        check(int(o["fingerprint"], 16) == crc64_avro(py.encode()),
              "%s: fingerprint differs" % o["file"])

    for f in files:
        base = f[:-5]
        sch = schemas[f]
        name = sch.name
        fp = crc64_avro(spec_canonical(sch.canonical_form).encode())
        for variant in ("full", "min"):
            sample_path = os.path.join(a.samples, "%s.%s.json" % (base, variant))
            sample = json.load(open(sample_path))
            # a minimal sample leaves optional fields out: the .avsc defaults
            for fld in json.loads(texts[f])["fields"]:
                if fld["name"] not in sample:
                    sample[fld["name"]] = fld["default"]
            # 2. C writes, Python reads (both framings)
            for framing in ("single", "confluent"):
                out = os.path.join(a.work, "%s.%s.%s.bin" % (base, variant, framing))
                meta = out + ".meta.json"
                run([a.tool, "encode", framing, name, sample_path, out, meta])
                data = open(out, "rb").read()
                if framing == "single":
                    check(data[:2] == b"\xc3\x01", "%s: single-object magic" % f)
                    check(struct.unpack("<Q", data[2:10])[0] == fp,
                          "%s: single-object fingerprint" % f)
                    body = data[10:]
                else:
                    m = json.load(open(meta))
                    check(data[0] == 0, "%s: Confluent magic byte" % f)
                    check(struct.unpack(">I", data[1:5])[0] == m["id"], "%s: Confluent id" % f)
                    body = data[5:]
                dec = avro.io.BinaryDecoder(io.BytesIO(body))
                got = plain(avro.io.DatumReader(sch, sch).read(dec))
                check(got == sample, "%s %s (%s): python read differs\n got %s\nwant %s"
                      % (f, variant, framing, got, sample))
            # 3. Python writes, C reads (commands are what the worker consumes,
            #    but every schema is checked)
            datum = to_datum(json.loads(texts[f]), sample, {})
            buf = io.BytesIO()
            avro.io.DatumWriter(sch).write(datum, avro.io.BinaryEncoder(buf))
            body = buf.getvalue()
            for framing, payload in (
                    ("single", b"\xc3\x01" + struct.pack("<Q", fp) + body),
                    ("confluent", b"\x00" + struct.pack(">I", 1) + body),
                    ("json", json.dumps(sample).encode())):
                inp = os.path.join(a.work, "%s.%s.py.%s.bin" % (base, variant, framing))
                outp = inp + ".json"
                open(inp, "wb").write(payload)
                cmd = [a.tool, "decode", framing, inp, outp]
                if framing == "confluent":
                    cmd += [os.path.join(a.schemas, f), "payatom.interop-value"]
                try:
                    run(cmd)
                except AssertionError as e:
                    check(False, "%s (%s): C decode: %s" % (f, framing, e))
                    continue
                res = json.load(open(outp))
                check(res["schema"] == name, "%s (%s): schema %s" % (f, framing, res["schema"]))
                check(res["value"] == sample, "%s (%s): C read differs\n got %s\nwant %s"
                      % (f, framing, res["value"], sample))
    print("interop: %d schemas, %d failures" % (len(files), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
