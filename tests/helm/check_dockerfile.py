#!/usr/bin/env python3
"""check_dockerfile.py -- helm/Dockerfile names every package the image needs.

Owns: the rules the unbuilt image is held to (no Docker engine in CI):
 * the runtime stage (debian:12-slim) installs, by name, the Debian package
   of every library the programs link directly, and every other library
   ldd reports comes from those packages' dependencies or from the base
   image (Priority: required);
 * the build stage (debian:12) installs the -dev package of every
   pkg-config module CMakeLists.txt requires;
 * librdkafka is not Debian's: the build stage builds the version
   .ci/librdkafka.sh pins (LIBRDKAFKA_VERSION) from its release tarball,
   checked against a sha256, with the script's configure features; the
   runtime stage copies librdkafka.so from the build and installs the Debian
   package of every library librdkafka.so itself links (its pkg-config
   Requires.private modules get their -dev packages in the build stage);
 * non-root user 65532, the worker as ENTRYPOINT, no -dev package and no
   apt lists left in the runtime image.
Not here: building the image.

Usage: check_dockerfile.py SRC_DIR --pkg-config
       check_dockerfile.py SRC_DIR BINARY...     (ldd; exit 77 if missing)
       check_dockerfile.py SRC_DIR --test-binary BINARY...
           (a test program: libraries of the Check framework are exempt)
Package facts come from this Debian 12 host's dpkg database; the pinned
librdkafka from the prefix .ci/librdkafka.sh builds (PKG_CONFIG_PATH, as
tests/helm/CMakeLists.txt sets it).
"""
import functools
import os
import re
import shlex
import subprocess
import sys

SKIP = 77


def sh(args):
    r = subprocess.run(args, capture_output=True, text=True)
    return r.returncode, r.stdout


class Checker:
    def __init__(self):
        self.failures = 0
        self.passed = 0

    def ok(self, cond, what):
        if cond:
            self.passed += 1
        else:
            self.failures += 1
            print("FAIL " + what)
        return cond


def stages(path):
    """[(from_line, [instructions])] with continuation lines joined."""
    out, cur = [], None
    text = open(path).read().replace("\\\n", " ")
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        word = line.split()[0].upper()
        if word == "FROM":
            cur = (line, [])
            out.append(cur)
        elif cur is not None:
            cur[1].append(line)
    return out


def apt_packages(instrs):
    pkgs = set()
    for ins in instrs:
        if not ins.upper().startswith("RUN"):
            continue
        for cmd in re.split(r"&&|;", ins[3:]):
            words = shlex.split(cmd)
            if "apt-get" in words and "install" in words:
                after = words[words.index("install") + 1:]
                pkgs |= {w for w in after if not w.startswith("-") and "=" not in w}
    return pkgs


@functools.lru_cache(maxsize=None)
def pkg_of(path):
    """Debian package owning a file (tries the usrmerge twin path too)."""
    real = os.path.realpath(path)
    cands = [path, real]
    for p in list(cands):
        if p.startswith("/usr/lib/"):
            cands.append(p[4:])
        elif p.startswith("/lib"):
            cands.append("/usr" + p)
    for p in cands:
        rc, out = sh(["dpkg", "-S", p])
        if rc == 0 and out:
            return out.split(":")[0].split(",")[0].strip()
    return None


def base_pkgs():
    """What debian:12-slim already holds: Priority: required packages and
    their dependencies (libc6 itself is Priority: optional)."""
    rc, out = sh(["dpkg-query", "-W", "-f", "${Package} ${Priority}\n"])
    return dep_closure(l.split()[0] for l in out.splitlines() if l.endswith(" required"))


@functools.lru_cache(maxsize=None)
def depends_of_all():
    """Every installed package's Depends and Pre-Depends text, from one
    dpkg-query (a query per package made the closures thousands of
    processes: minutes at a load of 30, past the tests' timeout)."""
    rc, out = sh(["dpkg-query", "-W", "-f", "${Package}\t${Depends},${Pre-Depends}\n"])
    deps = {}
    for line in out.splitlines():
        name, _, text = line.partition("\t")
        deps[name.split(":")[0]] = text
    return deps


def dep_closure(roots):
    seen, todo = set(), list(roots)
    deps = depends_of_all()
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        out = deps.get(p)
        if out is None:
            continue
        for alt in out.split(","):
            for name in alt.split("|"):
                name = name.strip().split(" ")[0].split(":")[0]
                if name:
                    todo.append(name)
    return seen


def cmake_modules(src):
    """pkg-config modules required by CMakeLists.txt: {VAR: module}."""
    text = open(os.path.join(src, "CMakeLists.txt")).read()
    mods = {}
    for m in re.finditer(r"pkg_check_modules\((\w+)\s+([^)]*)\)", text):
        words = [w for w in m.group(2).split() if w not in ("REQUIRED", "IMPORTED_TARGET", "QUIET")]
        mods[m.group(1)] = re.split(r"[<>=]", words[0])[0]
    return mods


def worker_modules(src, mods):
    """The modules the programs link (PkgConfig::X in worker/CMakeLists.txt)."""
    text = open(os.path.join(src, "worker", "CMakeLists.txt")).read()
    used = set(re.findall(r"PkgConfig::(\w+)", text))
    return {v: m for v, m in mods.items() if v in used}


def lib_file(name):
    rc, out = sh(["cc", "-print-file-name=lib%s.so" % name])
    path = out.strip()
    return path if rc == 0 and os.path.isabs(path) and os.path.exists(path) else None


def pinned_librdkafka(src):
    """(version, configure feature flags) of .ci/librdkafka.sh."""
    text = open(os.path.join(src, ".ci", "librdkafka.sh")).read()
    m = re.search(r"^LIBRDKAFKA_VERSION=(\S+)", text, re.M)
    conf = re.search(r"\./configure (.*?)>", text.replace("\\\n", " "), re.S)
    flags = set(re.findall(r"--(?:enable|disable)-[\w-]+", conf.group(1) if conf else ""))
    return (m.group(1) if m else None), flags


def check_librdkafka(c, src, st):
    """The build stage builds the pinned librdkafka as the script does."""
    version, flags = pinned_librdkafka(src)
    c.ok(version and flags, ".ci/librdkafka.sh names a version and configure flags")
    build = st[0][1] if st else []
    text = " ".join(build)
    m = re.search(r"ARG\s+LIBRDKAFKA_VERSION=(\S+)", text)
    c.ok(m and m.group(1) == version,
         f"Dockerfile builds librdkafka {m.group(1) if m else None}, .ci/librdkafka.sh pins {version}")
    c.ok(re.search(r"librdkafka/archive/refs/tags/v\$\{LIBRDKAFKA_VERSION\}\.tar\.gz", text),
         "librdkafka from its release tarball")
    m = re.search(r"ARG\s+LIBRDKAFKA_SHA256=([0-9a-f]{64})\b", text)
    c.ok(m and re.search(r"LIBRDKAFKA_SHA256\}?\s+\S+\"?\s*\|\s*sha256sum -c", text),
         "the tarball is checked against its sha256 (sha256sum -c)")
    conf = re.search(r"\./configure (.*?)&&", text)
    dflags = set(re.findall(r"--(?:enable|disable)-[\w-]+", conf.group(1) if conf else ""))
    c.ok(flags and dflags == flags,
         f"configure features as .ci/librdkafka.sh: {sorted(dflags)} vs {sorted(flags)}")
    c.ok("-DPAYATOM_LIBRDKAFKA_PREFIX=" in text, "CMake pointed at the image's librdkafka")
    c.ok(re.search(r"cp -a /usr/local/lib/librdkafka\.so\* /out/", text),
         "the build output carries librdkafka.so (copied to the runtime stage)")
    run = st[-1][1] if st else []
    c.ok(any(i.strip() == "RUN ldconfig" for i in run), "runtime stage runs ldconfig after the copy")


def rdkafka_lib():
    """The pinned librdkafka.so pkg-config finds (PKG_CONFIG_PATH)."""
    rc, out = sh(["pkg-config", "--variable=libdir", "rdkafka"])
    path = os.path.join(out.strip(), "librdkafka.so.1")
    return path if rc == 0 and os.path.exists(path) else None


def check_structure(c, st):
    c.ok(len(st) >= 2, "multi-stage Dockerfile")
    if len(st) < 2:
        return set(), set()
    build_from, build = st[0]
    run_from, run = st[-1]
    c.ok(re.match(r"FROM\s+debian:12(\.\d+)?(@sha256:\w+)?\s+AS\s+\w+", build_from, re.I),
         f"build stage on Debian 12 ({build_from})")
    c.ok(re.match(r"FROM\s+debian:12(\.\d+)?-slim(@sha256:\w+)?$", run_from, re.I),
         f"runtime stage on debian:12-slim ({run_from})")
    run_pkgs, build_pkgs = apt_packages(run), apt_packages(build)
    c.ok(not [p for p in run_pkgs if p.endswith("-dev")], f"no -dev package at runtime {sorted(run_pkgs)}")
    c.ok("ca-certificates" in run_pkgs, "ca-certificates at runtime (TLS to the gateway and Kafka)")
    runs = " ".join(i for i in run if i.upper().startswith("RUN"))
    c.ok("--no-install-recommends" in runs, "runtime apt-get without recommends")
    c.ok("rm -rf /var/lib/apt/lists" in runs, "apt lists removed from the runtime image")
    c.ok(any(re.fullmatch(r"USER\s+65532(:65532)?", i) for i in run), "USER 65532")
    c.ok(any(re.fullmatch(r'ENTRYPOINT\s+\["/usr/bin/payatom-worker"\]', i) for i in run),
         "ENTRYPOINT is the worker")
    c.ok(any(i.startswith("COPY --from=") for i in run), "runtime copies only the build output")
    c.ok(not any("SANITIZE" in i for i in build), "image built without sanitizers")
    return run_pkgs, build_pkgs


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    src, args = sys.argv[1], sys.argv[2:]
    c = Checker()
    run_pkgs, build_pkgs = check_structure(c, stages(os.path.join(src, "helm", "Dockerfile")))
    check_librdkafka(c, src, stages(os.path.join(src, "helm", "Dockerfile")))
    base = base_pkgs()
    c.ok("libc6" in base and "libsasl2-2" not in base, "base image = required packages and their dependencies")
    mods = cmake_modules(src)
    rdk = rdkafka_lib()
    c.ok(rdk and pkg_of(rdk) is None, f"pkg-config finds the pinned librdkafka, not a Debian package ({rdk})")

    if args == ["--pkg-config"]:
        # Build stage: the -dev package of every module CMake requires.
        # The pinned librdkafka is built in the image: its own modules
        # (Requires.private) need their -dev packages instead.
        rc, out = sh(["pkg-config", "--print-requires-private", "rdkafka"])
        rdk_mods = {"RDKAFKA_" + m.split()[0]: m.split()[0] for m in out.splitlines() if m.strip()}
        c.ok(rdk_mods, f"librdkafka's pkg-config modules {sorted(rdk_mods.values())}")
        for var, mod in sorted({**{v: m for v, m in mods.items() if v != "RDKAFKA"}, **rdk_mods}.items()):
            rc, pcdir = sh(["pkg-config", "--variable=pcfiledir", mod])
            pc = os.path.join(pcdir.strip(), mod + ".pc")
            dev = pkg_of(pc) if rc == 0 else None
            if c.ok(dev is not None, f"pkg-config module {mod} comes from a Debian package"):
                c.ok(dev in build_pkgs, f"build stage installs {dev} (pkg-config {mod})")
        # Runtime stage: the package of every library the programs link.
        linked = worker_modules(src, mods)
        c.ok(linked, "worker/CMakeLists.txt links pkg-config modules")
        linked = {**{v: m for v, m in linked.items() if v != "RDKAFKA"}, **rdk_mods}
        for var, mod in sorted(linked.items()):
            rc, out = sh(["pkg-config", "--libs-only-l", mod])
            for flag in out.split():
                lib = flag[2:]
                path = lib_file(lib)
                if not c.ok(path is not None, f"-l{lib} ({mod}) resolves to a shared library"):
                    continue
                pkg = pkg_of(path)  # the runtime package owns the real file
                if c.ok(pkg is not None, f"{path} belongs to a Debian package"):
                    c.ok(pkg in run_pkgs or pkg in base,
                         f"runtime stage installs {pkg} (lib{lib}, pkg-config {mod})")
                    print(f"ok lib{lib} -> {pkg}")
    else:
        exempt = set()
        if args and args[0] == "--test-binary":
            args = args[1:]
            rc, out = sh(["pkg-config", "--libs-only-l", mods.get("CHECK", "check")])
            for flag in out.split():
                path = lib_file(flag[2:])
                if path and pkg_of(path):
                    exempt.add(pkg_of(path))
            exempt = {p for p in exempt - base if not p.endswith("-dev")}
            print(f"test binary: exempt {sorted(exempt)} (Check framework)")
        bins = [b for b in args if os.path.exists(b)]
        if not bins:
            print(f"SKIP: {', '.join(args)} not built yet")
            return SKIP
        closure = dep_closure(run_pkgs) | base
        # A sanitizer build (make asan) links libasan/libubsan; the image is
        # built without them (checked above), so they and their
        # dependencies are exempt.
        for b in bins:
            rc, out = sh(["ldd", b])
            for path in re.findall(r"=>\s+(/\S*lib(?:a|ub|t|l|hwa)san\.so[^\s]*)", out):
                pkg = pkg_of(path)
                if pkg and pkg not in exempt:
                    print(f"sanitizer build: {pkg} exempt (the image is built without sanitizers)")
                    exempt.add(pkg)
                    closure |= dep_closure([pkg])
        for b in bins:
            rc, needed = sh(["readelf", "-d", b])
            direct = set(re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", needed))
            c.ok(rc == 0 and direct, f"{b} is a dynamic ELF with NEEDED entries")
            if "librdkafka.so.1" in direct and rdk:
                # copied from the image's build stage: what it links is
                # installed by name, as for the programs
                rc, needed = sh(["readelf", "-d", rdk])
                direct |= set(re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", needed))
            rc, out = sh(["ldd", b])
            c.ok(rc == 0 and "not found" not in out, f"ldd {b} resolves every library")
            for line in out.splitlines():
                m = re.match(r"\s*(\S+)\s+=>\s+(/\S+)", line) or re.match(r"\s*(/\S+)()", line)
                if not m:
                    continue  # linux-vdso
                soname, path = (m.group(1), m.group(2)) if m.group(2) else (os.path.basename(m.group(1)), m.group(1))
                if soname == "librdkafka.so.1":
                    c.ok(rdk and os.path.realpath(path) == os.path.realpath(rdk),
                         f"{b} runs on the pinned librdkafka ({path}), not {rdk}")
                    print(f"ok {soname} -> built in the image")
                    continue
                pkg = pkg_of(path)
                if not c.ok(pkg is not None, f"{path} belongs to a Debian package"):
                    continue
                if pkg in exempt:
                    continue
                if soname in direct:
                    c.ok(pkg in run_pkgs or pkg in base, f"runtime stage installs {pkg} ({soname}, linked directly)")
                else:
                    c.ok(pkg in closure, f"{pkg} ({soname}) comes with the runtime packages' dependencies")
                print(f"ok {soname} -> {pkg}{' (direct)' if soname in direct else ''}")
    print(f"{c.passed} checks passed, {c.failures} failed")
    return 1 if c.failures else 0


if __name__ == "__main__":
    sys.exit(main())
