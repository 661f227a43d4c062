#!/usr/bin/env python3
"""kafka_security.py -- the TLS and SCRAM material of a harness run.

Owns: a test CA, broker and client certificates (SAN IP:127.0.0.1 and
      DNS:localhost) and an unrelated CA for negative tests, all made with
      openssl; the broker's PEM keystore; the random SCRAM password (a 0600
      file, never printed).
Not here: the listeners that use them (kafka_harness.py node_props), the
      tests (selftest.py scram/tls).

Python 3 standard library + the openssl command.
"""

import os
import secrets
import subprocess


class SecurityError(Exception):
    pass


def make_material(s, scram_user):
    """A test CA, a broker cert (SAN 127.0.0.1/localhost), a client cert, and
    an unrelated CA for the negative test. openssl only. Two SCRAM users
    with random passwords in 0600 files (see below)."""
    os.makedirs(s, exist_ok=True)

    def ossl(*args):
        r = subprocess.run(["openssl"] + list(args), cwd=s, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0:
            raise SecurityError("openssl %s: %s" % (args[0], r.stdout[-500:]))

    for ca in ("ca", "wrong-ca"):
        ossl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
             "-subj", "/CN=payatom-test-" + ca, "-keyout", ca + ".key", "-out", ca + ".pem")
    ext = os.path.join(s, "san.ext")
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    for who in ("broker", "client"):
        ossl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=payatom-test-" + who,
             "-keyout", who + ".key", "-out", who + ".csr")
        ossl("x509", "-req", "-in", who + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", who + ".crt")
    # Kafka's PEM keystore: unencrypted PKCS#8 key followed by the chain.
    ossl("pkcs8", "-topk8", "-nocrypt", "-in", "broker.key", "-out", "broker.p8")
    with open(os.path.join(s, "broker.pem"), "w") as out:
        for part in ("broker.p8", "broker.crt", "ca.pem"):
            with open(os.path.join(s, part)) as f:
                out.write(f.read())
    for name in os.listdir(s):
        os.chmod(os.path.join(s, name), 0o600)
    def password_file(name):
        password = secrets.token_urlsafe(18)
        path = os.path.join(s, name)
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
            f.write(password)
        return password, path

    # scram_user has SCRAM-SHA-256 and -512 credentials; scram_user + "-512"
    # only SCRAM-SHA-512 ones (a client that does not use the mechanism it is
    # given is refused with it)
    password, pw_file = password_file("scram-password")
    password512, pw512_file = password_file("scram-password-512")
    return {"dir": s, "user": scram_user, "password_file": pw_file, "password": password,
            "user512": scram_user + "-512", "password512_file": pw512_file,
            "password512": password512,
            "ca": os.path.join(s, "ca.pem"), "wrong_ca": os.path.join(s, "wrong-ca.pem"),
            "cert": os.path.join(s, "client.crt"), "key": os.path.join(s, "client.key")}
