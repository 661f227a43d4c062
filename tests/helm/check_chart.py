#!/usr/bin/env python3
"""check_chart.py -- lints and renders helm/payatom-worker and checks the result.

Owns: what the rendered manifests must say (issue 6 and design.md §6):
restricted securityContext, probes, grace period above the shutdown
deadline, worker.conf without secrets in clear, checksum roll-outs,
replicas <= partitions, KEDA/HPA (lagThreshold by the docs' rule),
monitoring objects, NetworkPolicy, the Deployment or StatefulSet workload
(per-pod transactional.id from the pod name under exactly_once), the
`helm test` hook on /readyz, and values that must be rejected.
Not here: fetching helm (get-helm.sh), the worker itself.

Usage: check_chart.py --helm BIN --chart DIR
           {lint|render SET|reject|rollout|notes|statefulset|hooktest|keda|all}
SET is "default" or the stem of a file in DIR/ci (keda-values, ...).
Exit status 0 when every check passed; every failure is printed.
"""
import argparse
import base64
import json
import os
import re
import subprocess
import sys
import tempfile

import yaml

SECRET_KEY_RE = re.compile(
    r"^(merchant\.[^.]+\.(secret|api\.key|recon\.token|bot\.api\.key|complaint\.token)"
    r"|kafka\.sasl\.password|kafka\.ssl\.key\.password|kafka\.ssl\.keystore\.password"
    r"|kafka\.sasl\.oauthbearer\.client\.secret|schema\.registry\.basic\.auth)$")
CONF_PATH = "/etc/payatom/worker.conf"
SECRETS_DIR = "/etc/payatom/secrets"
ALERT_METRICS = {
    "PayatomDeadLettersGrowing": "payatom_dlq_records_total",
    "PayatomGatewayCircuitOpen": "payatom_circuit_state",
    "PayatomConsumerLagGrowing": "payatom_consumer_lag",
    "PayatomWebhookHashMismatch": "payatom_webhooks_received_total",
}
DNS1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")

# What each CI value set must render, beyond the checks every set gets.
EXPECT = {
    "default": {
        "kinds": {"ServiceAccount", "ConfigMap", "Service", "Deployment",
                  "PodDisruptionBudget", "Pod"},
        "conf": {"processing.guarantee": "at_least_once", "serialization": "avro"},
        "secret": None,
        "notes": ["http://rel-payatom-worker.payments.svc:80/webhooks/payatom",
                  "kubectl port-forward -n payments svc/rel-payatom-worker 9090:9090"],
    },
    "keda-values": {
        "kinds": {"ServiceAccount", "ConfigMap", "Secret", "Service", "Deployment",
                  "PodDisruptionBudget", "ScaledObject", "TriggerAuthentication",
                  "Ingress", "ServiceMonitor", "PrometheusRule", "NetworkPolicy", "Pod"},
        "conf": {"processing.guarantee": "at_least_once",
                 "kafka.security.protocol": "sasl_ssl",
                 "kafka.ssl.ca.location": "/etc/payatom/kafka-tls/ca.crt"},
        "secret": "chart",
        "kafka_tls": "kafka-cluster-ca",
        "dashboard": True,
        # max.inflight 256 < 1000 x 12 / 2: one pod holds at most 256
        "lag_threshold": 256,
        "notes": ["https://payatom-webhooks.example.com/webhooks/payatom", "KEDA between 2 and 12"],
    },
    "existing-secret-values": {
        "kinds": {"ServiceAccount", "ConfigMap", "Service", "Deployment",
                  "PodDisruptionBudget", "HorizontalPodAutoscaler", "Pod"},
        "conf": {"serialization": "json",
                 "merchant.pkh2h.secret": "@/etc/payatom/secrets/pkh2h-secret-key",
                 "kafka.ssl.certificate.location": "/etc/payatom/kafka-tls/tls.crt",
                 "kafka.ssl.key.location": "/etc/payatom/kafka-tls/tls.key"},
        "secret": "payatom-worker-credentials",
        "kafka_tls": "payatom-worker-kafka-client",
        "notes": ["status.loadBalancer.ingress", "HPA between 2 and 6"],
    },
    "exactly-once-values": {
        "kinds": {"ServiceAccount", "ConfigMap", "Secret", "Service", "StatefulSet",
                  "PodDisruptionBudget", "ServiceMonitor", "PrometheusRule",
                  "NetworkPolicy", "Pod"},
        "workload": "StatefulSet",
        "transactional_id": "payments.$(POD_NAME)",
        "conf": {"processing.guarantee": "exactly_once",
                 "schema.registry.url": "https://schema-registry.kafka.svc:8081",
                 "shutdown.timeout": "55s"},
        "secret": "chart",
        "egress_ports": {8081},
        "notes": ["4 replicas for 24 partitions"],
    },
}

# Values that must make `helm template` fail, with the reason it must give.
REJECT = [
    ("processing.guarantee=bogus", ["--set", "config.processing\\.guarantee=bogus"],
     r"/config/processing\.guarantee': value must be one of"),
    ("serialization=xml", ["--set", "config.serialization=xml"], r"/config/serialization': value must be one of"),
    ("log.level=verbose", ["--set", "config.log\\.level=verbose"], r"/config/log\.level': value must be one of"),
    ("grace period below shutdown timeout",
     ["--set", "terminationGracePeriodSeconds=20"], r"terminationGracePeriodSeconds \(20\) must exceed"),
    ("grace period equal to preStop + shutdown",
     ["--set", "terminationGracePeriodSeconds=30"], r"terminationGracePeriodSeconds \(30\) must exceed"),
    ("shutdown timeout in minutes above grace",
     ["--set", "shutdownTimeout=1m"], r"shutdownTimeout \(1m = 60s\)"),
    ("shutdown timeout not a duration", ["--set", "shutdownTimeout=soon"], r"/shutdownTimeout"),
    ("KEDA max replicas above partitions",
     ["--set", "autoscaling.enabled=true,autoscaling.kind=keda,autoscaling.maxReplicas=24"],
     r"autoscaling\.maxReplicas \(24\) exceeds partitions \(12\)"),
    ("HPA max replicas above partitions",
     ["--set", "autoscaling.enabled=true,autoscaling.kind=hpa,partitions=3,autoscaling.maxReplicas=4"],
     r"autoscaling\.maxReplicas \(4\) exceeds partitions \(3\)"),
    ("replicaCount above partitions", ["--set", "replicaCount=13"],
     r"replicaCount \(13\) exceeds partitions \(12\)"),
    ("unknown autoscaler", ["--set", "autoscaling.kind=vpa"], r"/autoscaling/kind': value must be one of"),
    ("unknown top-level value", ["--set", "replicas=3"], r"'replicas' not allowed"),
    ("unknown config key", ["--set", "config.brokerz=x"], r"'brokerz' not allowed"),
    ("chart-owned config key", ["--set", "config.http\\.listen=0.0.0.0:9000"], r"'http\.listen' not allowed"),
    ("merchant secret in clear in config",
     ["--set", "config.merchant\\.acme\\.secret=plaintext-secret"], r"/config/merchant\.acme\.secret': .* does not match pattern '\^@/'"),
    ("SASL password in clear in config",
     ["--set", "config.kafka\\.sasl\\.password=hunter2"], r"/config/kafka\.sasl\.password': .* does not match pattern '\^@/'"),
    ("secret in clear in extraConfig",
     ["--set", "extraConfig.merchant\\.acme\\.api\\.key=k"], r"extraConfig\.merchant\.acme\.api\.key is a secret"),
    ("non-secret key in secrets", ["--set", "secrets.log\\.level=debug"], r"invalid propertyName 'log\.level'"),
    ("secrets and existingSecret together",
     ["--set", "secrets.merchant\\.a\\.secret=s,existingSecret.name=x"], r"either secrets or existingSecret"),
    ("brokers missing", ["--set", "config.brokers=null"], r"missing property 'brokers'"),
    ("ingress without hosts", ["--set", "ingress.enabled=true"], r"ingress\.hosts"),
    ("PDB with both limits", ["--set", "podDisruptionBudget.minAvailable=1"], r"exactly one"),
    ("privileged container port", ["--set", "containerPort=80"], r"/containerPort': minimum"),
    ("Kubernetes older than 1.27 (matchLabelKeys in topology spread)",
     ["--kube-version", "1.26.0"], r"requires kubeVersion"),
    ("unknown workload kind", ["--set", "workload.kind=DaemonSet"],
     r"/workload/kind': value must be one of"),
    ("fixed transactional.id in a StatefulSet under exactly_once",
     ["--set", "workload.kind=StatefulSet,config.processing\\.guarantee=exactly_once",
      "--set", "config.kafka\\.transactional\\.id=one-for-all"],
     r"config\.kafka\.transactional\.id: a StatefulSet under exactly_once gives each pod"),
    ("negative KEDA lagThreshold", ["--set", "autoscaling.keda.lagThreshold=-1"],
     r"/autoscaling/keda/lagThreshold': minimum"),
    ("KEDA SASL without password",
     ["--set", "autoscaling.enabled=true,autoscaling.kind=keda,autoscaling.keda.sasl=scram_sha512"],
     r"kafka\.sasl\.password|existingSecret"),
]


class Checker:
    def __init__(self, label):
        self.label = label
        self.failures = []
        self.passed = 0

    def ok(self, cond, what):
        if cond:
            self.passed += 1
        else:
            self.failures.append(what)
            print(f"FAIL [{self.label}] {what}")
        return cond

    def done(self):
        print(f"[{self.label}] {self.passed} checks passed, {len(self.failures)} failed")
        return 0 if not self.failures else 1


def helm(args, opts, check=True):
    r = subprocess.run([opts.helm] + args, capture_output=True, text=True)
    if check and r.returncode != 0:
        sys.stderr.write(r.stdout + r.stderr)
        raise SystemExit(f"helm {' '.join(args)} failed ({r.returncode})")
    return r


def value_args(opts, set_name):
    if set_name == "default":
        return []
    path = os.path.join(opts.chart, "ci", set_name + ".yaml")
    if not os.path.exists(path):
        raise SystemExit(f"no value set {path}")
    return ["-f", path]


def render(opts, extra):
    r = helm(["template", "rel", opts.chart, "--namespace", "payments"] + extra, opts)
    return [d for d in yaml.safe_load_all(r.stdout) if d]


def parse_conf(text):
    conf, dup = {}, []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        k, sep, v = line.partition("=")
        if not sep:
            dup.append(f"line without '=': {line!r}")
            continue
        if k in conf:
            dup.append(f"duplicate key {k}")
        conf[k] = v
    return conf, dup


def seconds(d):
    m = re.fullmatch(r"(\d+)(ms|s|m|h)?", d)
    if not m:
        return None
    n, unit = int(m.group(1)), m.group(2) or "s"
    return {"ms": -(-n // 1000), "s": n, "m": n * 60, "h": n * 3600}[unit]


def by_kind(docs):
    out = {}
    for d in docs:
        out.setdefault(d["kind"], []).append(d)
    return out


def selects(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def check_rendered(c, docs, exp):
    k = by_kind(docs)
    if exp.get("kinds") is not None:
        c.ok(set(k) == exp["kinds"], f"kinds {sorted(k)} == {sorted(exp['kinds'])}")
    for d in docs:
        name = d["metadata"]["name"]
        c.ok(DNS1123.match(name) and len(name) <= 63, f"{d['kind']} name {name} is DNS-1123, <= 63")
        c.ok(d["metadata"].get("namespace") == "payments", f"{d['kind']} {name} in release namespace")
        c.ok(d["metadata"].get("labels", {}).get("app.kubernetes.io/name") == "payatom-worker",
             f"{d['kind']} {name} labelled app.kubernetes.io/name")
    wkind = exp.get("workload", "Deployment")
    other = "StatefulSet" if wkind == "Deployment" else "Deployment"
    c.ok(not k.get(other), f"no {other} beside the {wkind}")
    if not c.ok(len(k.get(wkind, [])) == 1, f"exactly one {wkind}"):
        return
    dep = k[wkind][0]
    pod = dep["spec"]["template"]
    plabels = pod["metadata"]["labels"]
    spec = pod["spec"]
    c.ok(selects(dep["spec"]["selector"]["matchLabels"], plabels), f"{wkind} selector matches pod labels")
    envs = {e["name"]: e for e in spec["containers"][0].get("env", [])}
    tid = envs.get("PAYATOM_KAFKA_TRANSACTIONAL_ID", {}).get("value")
    c.ok(tid == exp.get("transactional_id"),
         f"transactional.id from the pod name only for a StatefulSet under exactly_once (got {tid!r})")
    if tid:
        c.ok(envs.get("POD_NAME", {}).get("valueFrom", {}).get("fieldRef", {}).get("fieldPath")
             == "metadata.name", "POD_NAME from the downward API (metadata.name)")
        c.ok(list(envs).index("POD_NAME") < list(envs).index("PAYATOM_KAFKA_TRANSACTIONAL_ID"),
             "POD_NAME defined before the variable that expands it")
    if wkind == "StatefulSet":
        heads = {d["metadata"]["name"]: d for d in k.get("Service", [])
                 if d["spec"].get("clusterIP") == "None"}
        hs = heads.get(dep["spec"].get("serviceName"))
        if c.ok(hs is not None, "StatefulSet serviceName is a headless Service of the chart"):
            c.ok(selects(hs["spec"]["selector"], plabels), "headless Service selects the pods")
            c.ok(hs["spec"].get("publishNotReadyAddresses") is True, "headless Service publishes unready pods")
        c.ok(dep["spec"].get("podManagementPolicy") == "Parallel", "StatefulSet pods start in parallel")
        c.ok(dep["spec"].get("updateStrategy", {}).get("type") == "RollingUpdate", "StatefulSet rolls")
    psc = spec.get("securityContext", {})
    c.ok(psc.get("runAsNonRoot") is True, "pod runAsNonRoot")
    c.ok(psc.get("runAsUser") == 65532, "pod runAsUser 65532")
    c.ok(psc.get("seccompProfile", {}).get("type") == "RuntimeDefault", "pod seccomp RuntimeDefault")
    c.ok(spec.get("automountServiceAccountToken") is False, "no service account token")
    conts = spec["containers"]
    c.ok(len(conts) == 1, "one container")
    ct = conts[0]
    sc = ct.get("securityContext", {})
    c.ok(sc.get("runAsNonRoot") is True and sc.get("runAsUser") == 65532, "container non-root 65532")
    c.ok(sc.get("readOnlyRootFilesystem") is True, "readOnlyRootFilesystem")
    c.ok(sc.get("allowPrivilegeEscalation") is False, "allowPrivilegeEscalation false")
    c.ok(sc.get("capabilities", {}).get("drop") == ["ALL"] and not sc.get("capabilities", {}).get("add"),
         "capabilities drop ALL, add none")
    c.ok(sc.get("privileged") in (None, False), "not privileged")
    c.ok(sc.get("seccompProfile", {}).get("type") == "RuntimeDefault", "container seccomp RuntimeDefault")
    res = ct.get("resources", {})
    c.ok(res.get("requests", {}).get("cpu") and res.get("requests", {}).get("memory"), "cpu/memory requests")
    c.ok(res.get("limits", {}).get("memory"), "memory limit")
    ports = {p["name"]: p["containerPort"] for p in ct.get("ports", [])}
    c.ok("http" in ports, "container port named http")
    for probe, path in (("startupProbe", "/healthz"), ("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        g = ct.get(probe, {}).get("httpGet", {})
        c.ok(g.get("path") == path and g.get("port") == "http", f"{probe} GET {path} on port http")
    c.ok(ct.get("args") == ["--config", CONF_PATH], "worker started with --config " + CONF_PATH)

    # worker.conf: rendered from the ConfigMap mounted at CONF_PATH.
    vols = {v["name"]: v for v in spec.get("volumes", [])}
    mounts = {m["mountPath"]: m for m in ct.get("volumeMounts", [])}
    cm_mount = mounts.get(CONF_PATH)
    conf = {}
    if c.ok(cm_mount is not None, "worker.conf mounted"):
        vol = vols.get(cm_mount["name"], {})
        cms = {d["metadata"]["name"]: d for d in k.get("ConfigMap", [])}
        cm = cms.get(vol.get("configMap", {}).get("name"))
        if c.ok(cm is not None and cm_mount.get("subPath") in cm.get("data", {}),
                "worker.conf comes from a rendered ConfigMap"):
            conf, bad = parse_conf(cm["data"][cm_mount["subPath"]])
            c.ok(not bad, f"worker.conf well-formed {bad}")
            c.ok(not [v for v in conf.values() if re.fullmatch(r"[0-9.]+e[+-]?[0-9]+", v)],
                 "numbers written in full, not in exponent form")
    c.ok(conf.get("http.listen", "").endswith(":%d" % ports.get("http", -1)), "http.listen on the container port")
    for key, want in exp.get("conf", {}).items():
        c.ok(conf.get(key) == want, f"worker.conf {key}={want} (got {conf.get(key)!r})")
    c.ok(conf.get("brokers") and conf.get("group.id"), "brokers and group.id set")
    # state.dir (issue 16): a PVC per pod in the StatefulSet (its
    # volumeClaimTemplates), an emptyDir in the Deployment
    claims = {t["metadata"]["name"]: t for t in dep["spec"].get("volumeClaimTemplates", [])}
    smnt = mounts.get(conf.get("state.dir", ""))
    if c.ok(smnt is not None and not smnt.get("readOnly"), "state.dir is a writable volume mount"):
        if wkind == "StatefulSet":
            cl = claims.get(smnt["name"], {})
            c.ok(smnt["name"] not in vols and cl.get("spec", {}).get("accessModes") == ["ReadWriteOnce"]
                 and cl["spec"].get("resources", {}).get("requests", {}).get("storage"),
                 "state.dir on a ReadWriteOnce PVC of each pod (volumeClaimTemplates)")
        else:
            c.ok(not claims and "emptyDir" in vols.get(smnt["name"], {}), "state.dir on an emptyDir")
    writable = [m for m in ct.get("volumeMounts", []) if not m.get("readOnly")]
    c.ok(all("emptyDir" in vols.get(m["name"], {}) or m["name"] in claims for m in writable),
         "only emptyDirs (and the state PVC) are writable")
    c.ok("/tmp" in mounts, "/tmp is a writable emptyDir (read-only root)")

    # Grafana dashboard: a ConfigMap the kube-prometheus-stack sidecar loads
    # (its queries are checked against a real /metrics by check_dashboard.py).
    dash = [cm for cm in k.get("ConfigMap", []) if cm["metadata"]["name"].endswith("-dashboard")]
    c.ok(len(dash) == (1 if exp.get("dashboard") else 0),
         "dashboard ConfigMap only with metrics.grafanaDashboard.enabled")
    for cm in dash:
        c.ok(cm["metadata"]["labels"].get("grafana_dashboard") == "1",
             "dashboard ConfigMap labelled grafana_dashboard=1 (the sidecar's default)")
        try:
            board = json.loads(cm["data"]["payatom-worker.json"])
        except (KeyError, ValueError) as e:
            board = {}
            c.ok(False, f"dashboard JSON: {e}")
        c.ok(board.get("uid") == "payatom-worker" and len(board.get("panels", [])) >= 10,
             "dashboard JSON with its uid and panels")

    # Shutdown: grace period > preStop sleep + shutdown.timeout.
    grace = spec.get("terminationGracePeriodSeconds")
    pre = ct.get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command", [])
    c.ok(len(pre) == 2 and pre[0].endswith("sleep") and pre[1].isdigit(), f"preStop sleep {pre}")
    sd = seconds(conf.get("shutdown.timeout", ""))
    if c.ok(sd is not None and isinstance(grace, int), "shutdown.timeout and grace period present"):
        pre_s = int(pre[1]) if len(pre) == 2 and pre[1].isdigit() else 0
        c.ok(grace > sd + pre_s, f"terminationGracePeriodSeconds {grace} > preStop {pre_s} + shutdown {sd}")

    # Checksums roll the pods on config/secret change (behaviour: rollout).
    ann = pod["metadata"].get("annotations", {})
    c.ok(re.fullmatch(r"[0-9a-f]{64}", ann.get("checksum/config", "")), "checksum/config annotation")

    # Secrets: mounted files, referenced with @, never in clear.
    secrets = {d["metadata"]["name"]: d for d in k.get("Secret", [])}
    smount = mounts.get(SECRETS_DIR)
    secret_refs = {key: v for key, v in conf.items() if v.startswith("@" + SECRETS_DIR + "/")}
    for key, v in conf.items():
        if SECRET_KEY_RE.match(key):
            c.ok(v.startswith("@/"), f"secret key {key} is a file reference")
    if exp.get("secret") is None:
        c.ok(not secrets and smount is None and not secret_refs, "no secret volume without secrets")
    else:
        if c.ok(smount is not None and smount.get("readOnly"), "secrets mounted read-only"):
            sname = vols.get(smount["name"], {}).get("secret", {}).get("secretName")
            if exp["secret"] == "chart":
                c.ok(sname in secrets, f"secret volume {sname} is the chart's Secret")
                c.ok(re.fullmatch(r"[0-9a-f]{64}", ann.get("checksum/secret", "")), "checksum/secret annotation")
                data = secrets.get(sname, {}).get("data", {})
                for key, v in secret_refs.items():
                    c.ok(v[len("@" + SECRETS_DIR + "/"):] in data, f"{key} file exists in Secret")
                clear = yaml.safe_dump_all([d for d in docs if d["kind"] != "Secret"])
                for sk, b64 in data.items():
                    val = base64.b64decode(b64).decode()
                    if sk != "keda-kafka-username":  # a user name, copied for KEDA
                        c.ok(val not in clear, f"secret {sk} not in clear outside the Secret")
            else:
                c.ok(sname == exp["secret"] and not secrets, f"existing Secret {exp['secret']} mounted, none rendered")
                c.ok("checksum/secret" not in ann, "no checksum for a Secret the chart cannot see")
        c.ok(secret_refs, "worker.conf references mounted secrets")
    if exp.get("kafka_tls"):
        tm = mounts.get("/etc/payatom/kafka-tls")
        c.ok(tm is not None and vols.get(tm["name"], {}).get("secret", {}).get("secretName") == exp["kafka_tls"],
             "Kafka TLS secret mounted")

    # Service: webhooks + metrics ports onto the one listener.
    svc = ([d for d in k.get("Service", []) if d["spec"].get("clusterIP") != "None"] or [{}])[0]
    sports = {p["name"]: p for p in svc.get("spec", {}).get("ports", [])}
    c.ok(selects(svc.get("spec", {}).get("selector"), plabels), "Service selects the pods")
    for pn in ("webhooks", "http-metrics"):
        c.ok(sports.get(pn, {}).get("targetPort") == "http", f"Service port {pn} -> http")

    # Scaling: replicas <= partitions, one autoscaler at most.
    parts = int(conf.get("topics.partitions", "0"))
    c.ok(parts > 0, "topics.partitions set")
    hpa, so = k.get("HorizontalPodAutoscaler", []), k.get("ScaledObject", [])
    c.ok(len(hpa) + len(so) <= 1, "at most one autoscaler")
    if hpa or so:
        c.ok("replicas" not in dep["spec"], "no fixed replicas under an autoscaler")
    else:
        c.ok(0 < dep["spec"].get("replicas", 0) <= parts, "replicas <= partitions")
    for h in hpa:
        c.ok(h["spec"]["scaleTargetRef"]["name"] == dep["metadata"]["name"]
             and h["spec"]["scaleTargetRef"]["kind"] == wkind, f"HPA targets the {wkind}")
        c.ok(h["spec"]["maxReplicas"] <= parts, "HPA maxReplicas <= partitions")
        c.ok(h["spec"]["metrics"][0]["resource"]["name"] == "cpu", "HPA on CPU")
    for s in so:
        c.ok(s["spec"]["scaleTargetRef"]["name"] == dep["metadata"]["name"]
             and s["spec"]["scaleTargetRef"]["kind"] == wkind, f"ScaledObject targets the {wkind}")
        c.ok(s["spec"]["maxReplicaCount"] <= parts, "KEDA maxReplicaCount <= partitions")
        trig = s["spec"]["triggers"][0]
        md = trig["metadata"]
        c.ok(trig["type"] == "kafka", "KEDA kafka trigger")
        c.ok(md.get("consumerGroup") == conf.get("group.id"), "KEDA consumerGroup = group.id")
        c.ok(md.get("bootstrapServers") == conf.get("brokers"), "KEDA bootstrapServers = brokers")
        c.ok(str(md.get("lagThreshold", "")).isdigit(), "KEDA lagThreshold")
        if "lag_threshold" in exp:
            c.ok(md.get("lagThreshold") == str(exp["lag_threshold"]),
                 f"KEDA lagThreshold {md.get('lagThreshold')} == {exp['lag_threshold']}")
        c.ok(md.get("allowIdleConsumers") == "false", "KEDA allowIdleConsumers false")
        ref = trig.get("authenticationRef", {}).get("name")
        if md.get("sasl") or md.get("tls"):
            tas = {t["metadata"]["name"]: t for t in k.get("TriggerAuthentication", [])}
            if c.ok(ref in tas, "KEDA authenticationRef resolves"):
                params = {p["parameter"]: p for p in tas[ref]["spec"]["secretTargetRef"]}
                if md.get("sasl"):
                    c.ok({"username", "password"} <= set(params), "KEDA SASL username/password")
                    for p in ("username", "password"):
                        sec = secrets.get(params[p]["name"], {}).get("data", {})
                        c.ok(not secrets or params[p]["key"] in sec, f"KEDA {p} key exists in Secret")
                if md.get("tls"):
                    c.ok("ca" in params, "KEDA TLS CA")

    pdb = k.get("PodDisruptionBudget", [])
    if c.ok(len(pdb) == 1, "PodDisruptionBudget"):
        c.ok(selects(pdb[0]["spec"]["selector"]["matchLabels"], plabels), "PDB selects the pods")
        c.ok(("maxUnavailable" in pdb[0]["spec"]) != ("minAvailable" in pdb[0]["spec"]), "PDB sets one limit")
    tsc = spec.get("topologySpreadConstraints", [])
    c.ok({t["topologyKey"] for t in tsc} >= {"kubernetes.io/hostname", "topology.kubernetes.io/zone"},
         "spread over zones and nodes")
    c.ok(all(selects(t["labelSelector"]["matchLabels"], plabels) for t in tsc), "spread selects the pods")

    for sm in k.get("ServiceMonitor", []):
        ep = sm["spec"]["endpoints"][0]
        c.ok(ep["port"] in sports and ep.get("path") == "/metrics", "ServiceMonitor scrapes /metrics on a Service port")
        c.ok(selects(sm["spec"]["selector"]["matchLabels"], svc["metadata"]["labels"]), "ServiceMonitor selects the Service")
    for pr in k.get("PrometheusRule", []):
        rules = {r["alert"]: r for g in pr["spec"]["groups"] for r in g["rules"] if "alert" in r}
        for alert, metric in ALERT_METRICS.items():
            r = rules.get(alert)
            if c.ok(r is not None, f"alert {alert}"):
                expr = r["expr"]
                c.ok(metric in expr, f"{alert} uses {metric}")
                c.ok(expr.count("(") == expr.count(")") and expr.count("{") == expr.count("}"),
                     f"{alert} expression balanced")
                c.ok(r.get("labels", {}).get("severity") in ("info", "warning", "critical"), f"{alert} severity")
                c.ok('service="%s"' % svc["metadata"]["name"] in expr, f"{alert} scoped to this release")
        c.ok('result="hash_mismatch"' in rules.get("PayatomWebhookHashMismatch", {}).get("expr", ""),
             "hash-mismatch alert filters result")
        c.ok('state="open"}) == 1' in rules.get("PayatomGatewayCircuitOpen", {}).get("expr", ""),
             "circuit alert on the open state series (enum)")

    for np in k.get("NetworkPolicy", []):
        c.ok(selects(np["spec"]["podSelector"]["matchLabels"], plabels), "NetworkPolicy selects the pods")
        c.ok(set(np["spec"]["policyTypes"]) == {"Ingress", "Egress"}, "NetworkPolicy ingress + egress")
        ing = np["spec"]["ingress"]
        c.ok(all(p["port"] == "http" for r in ing for p in r["ports"]), "ingress only to the http port")
        froms = [f for r in ing for f in r.get("from", [])]
        if froms:
            ns = {f.get("namespaceSelector", {}).get("matchLabels", {}).get("kubernetes.io/metadata.name") for f in froms}
            c.ok("monitoring" in ns, "metrics reachable from the monitoring namespace")
        eports = {p["port"] for r in np["spec"]["egress"] for p in r.get("ports", [])}
        c.ok(53 in eports, "egress DNS")
        c.ok(443 in eports, "egress to the gateway (443)")
        c.ok(eports & {9092, 9093, 9094, 9096}, "egress to Kafka")
        c.ok(exp.get("egress_ports", set()) <= eports, f"egress ports {exp.get('egress_ports')}")
    for ingr in k.get("Ingress", []):
        paths = [p for r in ingr["spec"]["rules"] for p in r["http"]["paths"]]
        c.ok(all(p["path"] == "/webhooks/payatom" and p["pathType"] == "Exact" for p in paths),
             "Ingress routes only /webhooks/payatom")
        c.ok(all(p["backend"]["service"]["port"]["name"] == "webhooks" for p in paths), "Ingress -> webhooks port")
        c.ok(ingr["spec"].get("tls"), "Ingress has TLS")
    check_test_hook(c, k, dep, plabels, svc, exp)


def test_hook_urls(pod):
    """The /readyz URLs the `helm test` pod's script checks."""
    script = " ".join(pod["spec"]["containers"][0].get("args", []))
    m = re.search(r"for url in ([^;]*);", script)
    return m.group(1).split() if m else []


def check_test_hook(c, k, wl, plabels, svc, exp):
    """`helm test`: one hook pod that GETs /readyz of every worker pod."""
    pods = [d for d in k.get("Pod", [])
            if d["metadata"].get("annotations", {}).get("helm.sh/hook") == "test"]
    if not c.ok(len(pods) == 1, "one helm test hook pod"):
        return
    pod = pods[0]
    labels = pod["metadata"].get("labels", {})
    c.ok(not selects(svc["spec"]["selector"], labels), "the Service does not select the test pod")
    c.ok(not selects(wl["spec"]["selector"]["matchLabels"], labels), "the workload does not select the test pod")
    c.ok(pod["spec"].get("restartPolicy") == "Never", "test pod restartPolicy Never")
    sc = pod["spec"]["containers"][0].get("securityContext", {})
    c.ok(sc.get("readOnlyRootFilesystem") is True and sc.get("runAsNonRoot") is True
         and sc.get("capabilities", {}).get("drop") == ["ALL"], "test pod restricted securityContext")
    script = " ".join(pod["spec"]["containers"][0].get("args", []))
    c.ok("wget" in script and "exit 1" in script and "$end" in script,
         "test fails (exit 1) when a /readyz stays non-200 past its deadline")
    urls = test_hook_urls(pod)
    ns = pod["metadata"]["namespace"]
    port = {p["name"]: p["port"] for p in svc["spec"]["ports"]}["http-metrics"]
    if wl["kind"] == "StatefulSet" and "replicas" in wl["spec"]:
        name, head = wl["metadata"]["name"], wl["spec"]["serviceName"]
        hport = [d for d in k["Service"] if d["metadata"]["name"] == head][0]["spec"]["ports"][0]["port"]
        want = ["http://%s-%d.%s.%s.svc:%d/readyz" % (name, i, head, ns, hport)
                for i in range(wl["spec"]["replicas"])]
        c.ok(urls == want, f"test checks each StatefulSet pod: {urls} == {want}")
    else:
        want = ["http://%s.%s.svc:%d/readyz" % (svc["metadata"]["name"], ns, port)]
        c.ok(urls == want, f"test checks /readyz through the Service: {urls} == {want}")
    for np in k.get("NetworkPolicy", []):
        froms = [f for r in np["spec"]["ingress"] for f in r.get("from", [])]
        if froms:
            c.ok(any(selects(f.get("podSelector", {}).get("matchLabels"), labels) for f in froms),
                 "NetworkPolicy lets the test pod reach the workers")


def cmd_lint(opts):
    c = Checker("lint")
    sets = ["default"] + sorted(f[:-5] for f in os.listdir(os.path.join(opts.chart, "ci")) if f.endswith(".yaml"))
    for s in sets:
        r = helm(["lint", "--strict", opts.chart] + value_args(opts, s), opts, check=False)
        c.ok(r.returncode == 0, f"helm lint --strict ({s})\n{r.stdout}{r.stderr}")
    c.ok(len(sets) >= 4, f"default + at least three value sets ({sets})")
    for s in sets:  # the oldest Kubernetes the chart supports (Chart.yaml kubeVersion)
        r = helm(["template", "rel", opts.chart, "--kube-version", "1.27.0"] + value_args(opts, s), opts, check=False)
        c.ok(r.returncode == 0, f"renders for Kubernetes 1.27 ({s})\n{r.stderr}")
    return c.done()


def cmd_render(opts, set_name):
    c = Checker("render " + set_name)
    check_rendered(c, render(opts, value_args(opts, set_name)), EXPECT.get(set_name, {}))
    notes = render_notes(opts, value_args(opts, set_name))
    for want in EXPECT.get(set_name, {}).get("notes", []) + ["/webhooks/payatom", "/metrics", "--check-config"]:
        c.ok(want in notes, f"NOTES.txt mentions {want}")
    c.ok("WARNING" not in notes, "NOTES.txt has no warning for a CI value set")
    return c.done()


def render_notes(opts, extra):
    """NOTES.txt as `helm install` prints it (client-side dry run, no cluster)."""
    r = helm(["install", "rel", opts.chart, "--namespace", "payments", "--dry-run=client"] + extra, opts)
    return r.stdout.partition("\nNOTES:\n")[2]


def cmd_reject(opts):
    c = Checker("reject")
    for what, args, reason in REJECT:
        r = helm(["template", "rel", opts.chart] + args, opts, check=False)
        err = r.stderr
        c.ok(r.returncode != 0, f"{what}: helm template must fail")
        c.ok(re.search(reason, err) is not None, f"{what}: error names /{reason}/ (got: {err.strip()[-300:]})")
    return c.done()


def annotations(opts, extra):
    dep = [d for d in render(opts, extra) if d["kind"] in ("Deployment", "StatefulSet")][0]
    return dep["spec"]["template"]["metadata"].get("annotations", {})


def cmd_rollout(opts):
    """A config or secret change changes the pod template; other changes do not."""
    c = Checker("rollout")
    base = ["--set", "secrets.merchant\\.acme\\.secret=one"]
    a = annotations(opts, base)
    b = annotations(opts, base + ["--set", "config.log\\.level=debug"])
    s = annotations(opts, ["--set", "secrets.merchant\\.acme\\.secret=two"])
    same = annotations(opts, base + ["--set", "service.metricsPort=9100"])
    c.ok(a["checksum/config"] != b["checksum/config"], "config change changes checksum/config")
    c.ok(a["checksum/secret"] == b["checksum/secret"], "config change keeps checksum/secret")
    c.ok(a["checksum/secret"] != s["checksum/secret"], "secret change changes checksum/secret")
    c.ok(a["checksum/config"] == s["checksum/config"], "secret value change keeps checksum/config")
    c.ok(a == same, "Service-only change keeps the pod annotations")
    # existingSecret: the chart cannot see its data under `helm template`
    # (lookup is empty): pods roll by the checksum value the user passes.
    ex = ["--set", "existingSecret.name=creds,existingSecret.keys.merchant\\.acme\\.secret=acme"]
    e0 = annotations(opts, ex)
    e1 = annotations(opts, ex + ["--set", "existingSecret.checksum=rv-1001"])
    e2 = annotations(opts, ex + ["--set", "existingSecret.checksum=rv-1002"])
    c.ok("checksum/existing-secret" not in e0, "no existingSecret checksum without a value or a cluster")
    c.ok(re.fullmatch(r"[0-9a-f]{64}", e1.get("checksum/existing-secret", "")),
         "existingSecret.checksum gives checksum/existing-secret")
    c.ok(e1.get("checksum/existing-secret") != e2.get("checksum/existing-secret"),
         "a new existingSecret.checksum rolls the pods")
    c.ok(e1["checksum/config"] == e2["checksum/config"], "existingSecret.checksum leaves checksum/config")
    s1 = annotations(opts, ex + ["--set", "workload.kind=StatefulSet,existingSecret.checksum=rv-1001"])
    c.ok(s1.get("checksum/existing-secret") == e1.get("checksum/existing-secret"),
         "the StatefulSet rolls on the same checksum")
    # Values files are read as YAML: the same values always render the same.
    c.ok(annotations(opts, base) == a, "rendering is deterministic")
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
        f.write("podAnnotations:\n  example.com/team: payments\n")
        f.flush()
        c.ok(annotations(opts, ["-f", f.name]).get("example.com/team") == "payments", "podAnnotations kept")
    return c.done()


def cmd_notes(opts):
    """NOTES.txt warns about settings that silently break webhook delivery."""
    c = Checker("notes")
    notes = render_notes(opts, ["--set", "ingress.enabled=true,ingress.hosts[0]=h.example.com",
                                "--set", "config.webhook\\.allow\\.ips=203.0.113.1/32"])
    c.ok("WARNING: behind an Ingress" in notes, "NOTES warns: allowlist behind an Ingress")
    c.ok("WARNING: the Ingress has no TLS" in notes, "NOTES warns: Ingress without TLS")
    c.ok("http://h.example.com/webhooks/payatom" in notes, "NOTES gives the plain-http URL it warns about")
    notes = render_notes(opts, ["--set", "service.type=LoadBalancer",
                                "--set", "config.webhook\\.allow\\.ips=203.0.113.1/32"])
    c.ok("needs service.externalTrafficPolicy=Local" in notes, "NOTES warns: allowlist without Local traffic policy")
    return c.done()


def cmd_statefulset(opts):
    """workload.kind=StatefulSet: transactional.id from the pod name only
    under exactly_once; the Deployment and at_least_once never get one."""
    c = Checker("statefulset")
    sts = ["--set", "workload.kind=StatefulSet"]
    eos = ["--set", "config.processing\\.guarantee=exactly_once"]
    for what, extra, tid in (("StatefulSet, exactly_once", sts + eos, "payments.$(POD_NAME)"),
                             ("StatefulSet, at_least_once", sts, None),
                             ("Deployment, exactly_once", eos, None)):
        docs = render(opts, extra)
        kinds = {d["kind"] for d in docs}
        wk = "StatefulSet" if "workload.kind=StatefulSet" in " ".join(extra) else "Deployment"
        c.ok(wk in kinds and ({"StatefulSet", "Deployment"} - {wk}).isdisjoint(kinds), f"{what}: one {wk}")
        sub = Checker(what)
        check_rendered(sub, docs, {"workload": wk, "transactional_id": tid})
        c.ok(not sub.failures, f"{what}: {sub.failures}")
        heads = [d for d in docs if d["kind"] == "Service" and d["spec"].get("clusterIP") == "None"]
        c.ok(len(heads) == (1 if wk == "StatefulSet" else 0), f"{what}: headless Service only for a StatefulSet")
    # autoscaled StatefulSet: the test goes through the Service
    docs = render(opts, sts + ["--set", "autoscaling.enabled=true,autoscaling.kind=hpa"])
    sub = Checker("StatefulSet + HPA")
    check_rendered(sub, docs, {"workload": "StatefulSet"})
    c.ok(not sub.failures, f"StatefulSet + HPA: {sub.failures}")
    return c.done()


def cmd_hooktest(opts):
    """The `helm test` hook: present by default, off with tests.enabled=false."""
    c = Checker("hooktest")
    on = [d for d in render(opts, []) if d["kind"] == "Pod"]
    c.ok(len(on) == 1 and on[0]["metadata"]["annotations"].get("helm.sh/hook") == "test",
         "a helm test hook pod by default")
    c.ok(test_hook_urls(on[0]) == ["http://rel-payatom-worker.payments.svc:9090/readyz"] if on else False,
         "the default test GETs /readyz through the Service")
    off = [d for d in render(opts, ["--set", "tests.enabled=false"]) if d["kind"] == "Pod"]
    c.ok(not off, "tests.enabled=false renders no test pod")
    three = [d for d in render(opts, ["--set", "workload.kind=StatefulSet,replicaCount=3"]) if d["kind"] == "Pod"]
    c.ok(len(test_hook_urls(three[0])) == 3 if three else False, "three StatefulSet pods: three /readyz checks")
    return c.done()


def keda_threshold(opts, extra):
    docs = render(opts, ["--set", "autoscaling.enabled=true,autoscaling.kind=keda"] + extra)
    so = [d for d in docs if d["kind"] == "ScaledObject"][0]
    return int(so["spec"]["triggers"][0]["metadata"]["lagThreshold"])


def cmd_keda(opts):
    """KEDA's default lagThreshold follows the docs' advice: lag below what
    one pod holds in flight is work in flight, not backlog, so the default
    is min(max.inflight, max.inflight.per.partition x partitions per pod at
    minReplicas), from the worker's own defaults when config is silent."""
    c = Checker("keda")
    schema = subprocess.run([os.path.join(os.environ.get("PAYATOM_BIN_DIR", ""), "payatom-worker"),
                             "--print-config", "schema"], capture_output=True, text=True)
    inflight, per_part = 10000, 1000
    if schema.returncode == 0:  # the worker's defaults, when it is built
        import json
        props = json.loads(schema.stdout).get("properties", {})
        inflight = int(props.get("max.inflight", {}).get("default", inflight))
        per_part = int(props.get("max.inflight.per.partition", {}).get("default", per_part))
        print(f"worker defaults: max.inflight {inflight}, max.inflight.per.partition {per_part}")
    for what, extra, want in (
            ("defaults (12 partitions, minReplicas 1)", [], min(inflight, per_part * 12)),
            ("minReplicas 4", ["--set", "autoscaling.minReplicas=4"], min(inflight, per_part * 3)),
            ("max.inflight.per.partition 100, minReplicas 5",
             ["--set", "autoscaling.minReplicas=5", "--set", "config.max\\.inflight\\.per\\.partition=100"],
             min(inflight, 100 * 3)),
            ("max.inflight 500", ["--set", "config.max\\.inflight=500"], 500),
            ("explicit lagThreshold", ["--set", "autoscaling.keda.lagThreshold=250"], 250)):
        got = keda_threshold(opts, extra)
        c.ok(got == want, f"{what}: lagThreshold {got} == {want}")
    return c.done()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--helm", required=True)
    ap.add_argument("--chart", required=True)
    ap.add_argument("what", choices=["lint", "render", "reject", "rollout", "notes", "statefulset",
                                     "hooktest", "keda", "all"])
    ap.add_argument("set", nargs="?")
    opts = ap.parse_args()
    if opts.what == "lint":
        return cmd_lint(opts)
    if opts.what == "render":
        return cmd_render(opts, opts.set or "default")
    if opts.what == "reject":
        return cmd_reject(opts)
    if opts.what == "rollout":
        return cmd_rollout(opts)
    if opts.what == "notes":
        return cmd_notes(opts)
    if opts.what == "statefulset":
        return cmd_statefulset(opts)
    if opts.what == "hooktest":
        return cmd_hooktest(opts)
    if opts.what == "keda":
        return cmd_keda(opts)
    rc = cmd_lint(opts)
    for s in EXPECT:
        rc |= cmd_render(opts, s)
    return (rc | cmd_reject(opts) | cmd_rollout(opts) | cmd_notes(opts) | cmd_statefulset(opts)
            | cmd_hooktest(opts) | cmd_keda(opts))


if __name__ == "__main__":
    sys.exit(main())
