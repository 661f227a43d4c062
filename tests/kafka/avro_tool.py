#!/usr/bin/env python3
"""avro_tool.py -- an independent reader (and, for its self-test, writer) of
Confluent-framed Avro, built on PyPI's confluent-kafka (its own librdkafka)
with its SchemaRegistryClient and AvroDeserializer.

Owns: reading topics to their end with read_committed, decoding every value
      through the registry, counting and dumping the records as JSON lines.
Not here: the venv it runs in (fetch.sh pytools), starting Kafka or the
      registry (kafka_harness.py).

Runs with the interpreter of the cached venv (`fetch.sh pytools` prints
PYTOOLS_PYTHON=…), not the system Python:

    avro_tool.py read --bootstrap BS --registry URL --topic T [--topic T2 …]
                      [--expect N] [--out FILE.jsonl]
    avro_tool.py produce --bootstrap BS --registry URL --topic T --count N

`read` exits 0 only when every record of every partition up to the end
decoded (and, with --expect, when their number is N); it prints
`avro_tool: read <topic>=<n> … decoded=<n> failed=<n>`; --out writes one
JSON line per decoded record: topic, partition, offset, key, schema_id (from
the frame), value.
"""

import argparse
import json
import sys
import time

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

# Seconds one registry request may take. confluent-kafka's client has no
# limit by default: an Apicurio that accepted a request and never answered
# once held a CI run at recvfrom() for good. With a limit the request fails
# and the client retries it (max.retries, 3).
REGISTRY_TIMEOUT_S = 20

SELFTEST_SCHEMA = json.dumps({
    "type": "record", "name": "Probe", "namespace": "payatom.test",
    "fields": [{"name": "id", "type": "string"}, {"name": "seq", "type": "long"},
               {"name": "amount_minor", "type": "long"}]})


def cmd_read(a):
    sr = SchemaRegistryClient({"url": a.registry, "timeout": REGISTRY_TIMEOUT_S})
    deser = AvroDeserializer(sr)
    cons = Consumer({"bootstrap.servers": a.bootstrap, "group.id": "avro-tool-reader",
                     "enable.auto.commit": False, "isolation.level": "read_committed",
                     "enable.partition.eof": True, "auto.offset.reset": "earliest"})
    parts = []
    for t in a.topic:
        md = cons.list_topics(t, timeout=30)
        tm = md.topics.get(t)
        if tm is None or tm.error is not None:
            print("avro_tool: no topic %s" % t, file=sys.stderr)
            return 2
        parts += [TopicPartition(t, p, -2) for p in sorted(tm.partitions)]  # -2: beginning
    if a.since_ms is not None:
        # only records written at or after since_ms (a run of its own on
        # a broker that earlier runs wrote to); -1 (none yet): the end
        found = cons.offsets_for_times([TopicPartition(p.topic, p.partition, a.since_ms)
                                        for p in parts], timeout=30)
        parts = [TopicPartition(p.topic, p.partition, p.offset if p.offset >= 0 else -1)
                 for p in found]
    cons.assign(parts)
    pending = {(p.topic, p.partition) for p in parts}
    counts = {t: 0 for t in a.topic}
    decoded = failed = 0
    out = open(a.out, "w") if a.out else None
    end = time.monotonic() + a.timeout
    while pending and time.monotonic() < end:
        m = cons.poll(0.5)
        if m is None:
            continue
        if m.error():
            if m.error().code() == KafkaError._PARTITION_EOF:
                pending.discard((m.topic(), m.partition()))
            else:
                print("avro_tool: %s" % m.error(), file=sys.stderr)
            continue
        counts[m.topic()] += 1
        try:
            val = deser(m.value(), SerializationContext(m.topic(), MessageField.VALUE))
            decoded += 1
        except Exception as e:  # any undecodable record is a failure to report
            failed += 1
            if failed <= 5:
                print("avro_tool: %s[%d]@%d does not decode: %s"
                      % (m.topic(), m.partition(), m.offset(), e), file=sys.stderr)
            continue
        if out:
            out.write(json.dumps({"topic": m.topic(), "partition": m.partition(),
                                  "offset": m.offset(),
                                  "key": m.key().decode(errors="replace") if m.key() else None,
                                  # Confluent framing: magic 0, then the id
                                  "schema_id": int.from_bytes(m.value()[1:5], "big"),
                                  # Kafka headers as [name, text] in order
                                  "headers": [[k, v.decode(errors="replace") if v else None]
                                              for k, v in (m.headers() or [])],
                                  "value": val}, sort_keys=True, default=str) + "\n")
    cons.close()
    if out:
        out.close()
    total = sum(counts.values())
    print("avro_tool: read %s total=%d decoded=%d failed=%d%s" % (
        " ".join("%s=%d" % kv for kv in counts.items()), total, decoded, failed,
        "" if not pending else " (end not reached on %d partitions)" % len(pending)))
    ok = not pending and failed == 0 and (a.expect is None or total == a.expect)
    return 0 if ok else 1


def cmd_produce(a):
    sr = SchemaRegistryClient({"url": a.registry, "timeout": REGISTRY_TIMEOUT_S})
    ser = AvroSerializer(sr, SELFTEST_SCHEMA)  # TopicNameStrategy: <topic>-value
    prod = Producer({"bootstrap.servers": a.bootstrap, "enable.idempotence": True})
    errors = []
    for i in range(a.count):
        v = ser({"id": "order-%d" % (i % 10), "seq": i, "amount_minor": 100 * i},
                SerializationContext(a.topic, MessageField.VALUE))
        prod.produce(a.topic, key=("order-%d" % (i % 10)).encode(), value=v,
                     on_delivery=lambda err, _m: err and errors.append(err))
        prod.poll(0)
    left = prod.flush(30)
    print("avro_tool: produced %d to %s (%d undelivered, %d errors)"
          % (a.count, a.topic, left, len(errors)))
    return 0 if not left and not errors else 1


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("read", "produce"):
        s = sub.add_parser(name)
        s.add_argument("--bootstrap", required=True)
        s.add_argument("--registry", required=True)
        s.add_argument("--topic", required=True, action="append")
    r = sub.choices["read"]
    r.add_argument("--expect", type=int)
    r.add_argument("--out")
    r.add_argument("--timeout", type=float, default=60)
    r.add_argument("--since-ms", type=int,
                   help="read only records with a timestamp at or after this (epoch ms)")
    sub.choices["produce"].add_argument("--count", type=int, default=100)
    a = ap.parse_args()
    if a.cmd == "read":
        return cmd_read(a)
    a.topic = a.topic[0]
    return cmd_produce(a)


if __name__ == "__main__":
    sys.exit(main())
