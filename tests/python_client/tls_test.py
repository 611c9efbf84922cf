"""TLS and mutual TLS through the real larder binary (SQLite), with certificates the test makes
with openssl: the Python package and larderctl (which calls through the C++ client) connect;
a wrong CA, an expired server certificate, a client without a certificate under mTLS, an
expired client certificate and one from another CA are refused with an error naming the
cause; certificate files replaced on disk are served without a restart; a verified client certificate's subject
is the caller when no token is sent (docs/auth.md); the HTTP listener serves HTTPS from the
same files and re-reads them on SIGHUP.

Usage (via run-python-client-test.sh): tls_test.py LARDER_BINARY LARDERCTL_BINARY
"""
import hashlib
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest

import larder
import servers
import tls_pki
from tls_pki import read

LARDERCTL = None


def served_certificate(address):
    """SHA-256 of the certificate the server presents (not verified: rotation is the question)."""
    host, port = address.rsplit(":", 1)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols(["h2"])  # gRPC refuses a handshake without it
    with socket.create_connection((host, int(port)), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname=host) as tls:
            return hashlib.sha256(tls.getpeercert(binary_form=True)).hexdigest()


def pem_fingerprint(path):
    der = ssl.PEM_cert_to_DER_cert(read(path).decode())
    return hashlib.sha256(der).hexdigest()


def ctl(address, *args):
    return subprocess.run([LARDERCTL, f"--addr={address}", "--timeout=5", *args],
                          capture_output=True, text=True, timeout=60)


class environment:
    """Sets environment variables for a `with` block, restoring them afterwards."""

    def __init__(self, **variables):
        self.variables = variables

    def __enter__(self):
        self.saved = {k: os.environ.get(k) for k in self.variables}
        os.environ.update(self.variables)

    def __exit__(self, *exc):
        for k, v in self.saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def project(name):
    from larder.protos.feast.core import Project_pb2
    p = Project_pb2.Project()
    p.spec.name = name
    return p


def entity(name):
    from larder.protos.feast.core import Entity_pb2
    e = Entity_pb2.Entity()
    e.spec.name = name
    e.spec.join_key = name + "_id"
    return e


class TlsCase(unittest.TestCase):
    """A scratch directory with a PKI: ca (trusted), other-ca (unrelated), server and client
    certificates from ca, a client certificate from other-ca, an expired server certificate."""

    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="larder-tls-")
        self.pki = tls_pki.Pki(self.work)
        try:
            self.ca, _ = self.pki.ca("ca")
        except (RuntimeError, FileNotFoundError) as e:
            self.skipTest(f"openssl cannot make certificates: {e}")
        self.other_ca, _ = self.pki.ca("other-ca")
        self.cert, self.key = self.pki.issue("ca", "server", "localhost", "server")
        self.client_cert, self.client_key = self.pki.issue("ca", "client", "ci-client", "client")
        self.stranger_cert, self.stranger_key = self.pki.issue("other-ca", "stranger",
                                                               "stranger", "client")
        self.db = servers.ScratchDatabase("sqlite", None, self.work)
        self.servers = []

    def serve(self, *args):
        server = servers.Larder(self.db.url, self.work, extra_args=list(args))
        self.servers.append(server)
        return server

    def server_log(self, server):
        with open(server.log.name) as f:
            return f.read()

    def tearDown(self):
        for s in self.servers:
            s.stop()
        shutil.rmtree(self.work, ignore_errors=True)

    def client(self, address, **kwargs):
        kwargs.setdefault("max_attempts", 1)
        kwargs.setdefault("deadline", 5)
        return larder.LarderClient(address, tls=True, **kwargs)


class ServerTlsTest(TlsCase):
    def setUp(self):
        super().setUp()
        # Files the server reads by name, replaced later to rotate.
        self.live_cert, self.live_key = (os.path.join(self.work, n)
                                         for n in ("live.pem", "live.key"))
        shutil.copy(self.cert, self.live_cert)
        shutil.copy(self.key, self.live_key)
        self.server = self.serve(f"--tls-cert={self.live_cert}", f"--tls-key={self.live_key}",
                                 "--tls-reload-interval-s=1")

    def test_python_client_and_larderctl_connect(self):
        with self.client(self.server.address, ca_file=self.ca) as c:
            self.assertEqual(c.get_server_info().backend, "sqlite")
        status = ctl(self.server.address, f"--ca-file={self.ca}", "-o", "json", "status")
        self.assertEqual(status.returncode, 0, status.stderr)
        self.assertIn("sqlite", status.stdout)
        # localhost is in the certificate too; the IP was checked above.
        port = self.server.address.rsplit(":", 1)[1]
        status = ctl(f"localhost:{port}", f"--ca-file={self.ca}", "status")
        self.assertEqual(status.returncode, 0, status.stderr)

    def test_same_options_from_the_environment(self):
        """LARDER_CA_FILE (and LARDER_SERVER_NAME) reach the Python package and larderctl."""
        port = self.server.address.rsplit(":", 1)[1]
        environment = {"LARDER_CA_FILE": self.ca, "LARDER_SERVER_NAME": "localhost"}
        saved = {k: os.environ.get(k) for k in environment}
        os.environ.update(environment)
        try:
            with larder.LarderClient(self.server.address, max_attempts=1, deadline=5) as c:
                self.assertEqual(c.get_server_info().backend, "sqlite")
            status = subprocess.run([LARDERCTL, f"--addr=127.0.0.1:{port}", "--timeout=5",
                                     "status"], capture_output=True, text=True, timeout=60,
                                    env=dict(os.environ))
            self.assertEqual(status.returncode, 0, status.stderr)
            # A name the certificate does not carry is refused: the variable was used.
            os.environ["LARDER_SERVER_NAME"] = "registry.example.test"
            with larder.LarderClient(self.server.address, max_attempts=1, deadline=5) as c:
                with self.assertRaises(larder.Unavailable):
                    c.get_server_info()
            status = subprocess.run([LARDERCTL, f"--addr=127.0.0.1:{port}", "--timeout=5",
                                     "status"], capture_output=True, text=True, timeout=60,
                                    env=dict(os.environ))
            self.assertNotEqual(status.returncode, 0)
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v

    def test_server_name_option(self):
        with self.client(self.server.address, ca_file=self.ca, server_name="localhost") as c:
            self.assertEqual(c.get_server_info().backend, "sqlite")
        status = ctl(self.server.address, f"--ca-file={self.ca}", "--server-name=localhost",
                     "status")
        self.assertEqual(status.returncode, 0, status.stderr)
        status = ctl(self.server.address, f"--ca-file={self.ca}",
                     "--server-name=registry.example.test", "status")
        self.assertNotEqual(status.returncode, 0)

    def test_deprecated_keywords_still_connect(self):
        with self.assertWarns(DeprecationWarning):
            c = self.client(self.server.address, root_certificates=read(self.ca))
        with c:
            self.assertEqual(c.get_server_info().backend, "sqlite")

    def test_unreadable_ca_file_is_a_clear_error(self):
        with self.assertRaisesRegex(ValueError, "ca_file .*nope.pem"):
            self.client(self.server.address, ca_file=os.path.join(self.work, "nope.pem"))
        status = ctl(self.server.address, f"--ca-file={self.work}/nope.pem", "status")
        self.assertNotEqual(status.returncode, 0)
        self.assertIn("nope.pem", status.stderr)

    def test_wrong_ca_is_refused(self):
        with self.client(self.server.address, ca_file=self.other_ca) as c:
            with self.assertRaises(larder.Unavailable) as raised:
                c.get_server_info()
        self.assertRegex(str(raised.exception), r"(?i)certificate[ _]verify[ _]failed")
        status = ctl(self.server.address, f"--ca-file={self.other_ca}", "status")
        self.assertNotEqual(status.returncode, 0)
        self.assertIn("certificate verify failed", status.stderr)

    def test_plaintext_client_is_refused(self):
        with larder.LarderClient(self.server.address, max_attempts=1, deadline=5) as c:
            with self.assertRaises(larder.Unavailable):
                c.get_server_info()

    def test_replaced_files_are_served_without_restart(self):
        before = served_certificate(self.server.address)
        self.assertEqual(before, pem_fingerprint(self.cert))
        new_cert, new_key = self.pki.issue("ca", "server2", "localhost", "server")
        # Key first under a temporary name, then both renamed: the watcher never reads a
        # certificate with the other key for long (a mismatched pair is skipped, not served).
        for src, dst in ((new_key, self.live_key), (new_cert, self.live_cert)):
            shutil.copy(src, dst + ".tmp")
            os.replace(dst + ".tmp", dst)
        deadline = time.monotonic() + 15
        served = before
        while served == before and time.monotonic() < deadline:
            time.sleep(0.3)
            served = served_certificate(self.server.address)
        self.assertEqual(served, pem_fingerprint(new_cert))
        self.assertIsNone(self.server.proc.poll())  # the same process
        with self.client(self.server.address, ca_file=self.ca) as c:
            self.assertEqual(c.get_server_info().backend, "sqlite")

    def test_sighup_keeps_serving_and_is_logged(self):
        self.server.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while "SIGHUP received" not in self.server_log(self.server):
            self.assertLess(time.monotonic(), deadline, self.server_log(self.server))
            time.sleep(0.1)
        with self.client(self.server.address, ca_file=self.ca) as c:
            self.assertEqual(c.get_server_info().backend, "sqlite")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def https_get(address, path, ca=None, cert=None, key=None):
    """(status, body) of GET https://address/path verified with `ca`."""
    context = ssl.create_default_context(cafile=ca)
    if cert:
        context.load_cert_chain(cert, key)
    host, port = address.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname=host) as tls:
            tls.sendall(f"GET {path} HTTP/1.1\r\nHost: {address}\r\n"
                        "Connection: close\r\n\r\n".encode())
            data = b""
            while chunk := tls.recv(65536):
                data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def wait_for_http(address):
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(address.rsplit(":", 1), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


class LiveCertCase(TlsCase):
    """A server certificate and key in files of their own, which a test replaces while the
    server runs, and a free port for the HTTP listener."""

    def setUp(self):
        super().setUp()
        self.live_cert, self.live_key = (os.path.join(self.work, n)
                                         for n in ("live.pem", "live.key"))
        shutil.copy(self.cert, self.live_cert)
        shutil.copy(self.key, self.live_key)
        self.http = f"127.0.0.1:{free_port()}"


class HttpsTest(LiveCertCase):
    """The HTTP listener (probes, /metrics, REST) serves the same certificate files."""

    def test_https_probes_metrics_and_sighup_rotation(self):
        # A reload interval far beyond the test: only SIGHUP can bring the new certificate.
        server = self.serve(f"--tls-cert={self.live_cert}", f"--tls-key={self.live_key}",
                            f"--http-addr={self.http}", "--tls-reload-interval-s=3600")
        wait_for_http(self.http)
        status, body = https_get(self.http, "/healthz", ca=self.ca)
        self.assertEqual(status, 200)
        status, body = https_get(self.http, "/metrics", ca=self.ca)
        self.assertEqual(status, 200)
        self.assertIn(b"larder_calls_in_flight", body)
        with self.assertRaises(ssl.SSLCertVerificationError):
            https_get(self.http, "/healthz", ca=self.other_ca)
        curl = shutil.which("curl")
        if curl:
            result = subprocess.run([curl, "-sS", "--cacert", self.ca,
                                     f"https://localhost:{self.http.rsplit(':', 1)[1]}/readyz"],
                                    capture_output=True, text=True, timeout=30)
            self.assertEqual(result.returncode, 0, result.stderr)
        before = served_certificate(self.http)
        self.assertEqual(before, pem_fingerprint(self.cert))
        new_cert, new_key = self.pki.issue("ca", "server2", "localhost", "server")
        for src, dst in ((new_key, self.live_key), (new_cert, self.live_cert)):
            shutil.copy(src, dst + ".tmp")
            os.replace(dst + ".tmp", dst)
        self.assertEqual(served_certificate(self.http), before)  # nothing re-read yet
        server.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while served_certificate(self.http) == before:
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.1)
        self.assertEqual(served_certificate(self.http), pem_fingerprint(new_cert))
        self.assertEqual(https_get(self.http, "/healthz", ca=self.ca)[0], 200)

    def test_mutual_tls_on_http(self):
        self.serve(f"--tls-cert={self.cert}", f"--tls-key={self.key}",
                   f"--tls-client-ca={self.ca}", f"--http-addr={self.http}")
        wait_for_http(self.http)
        status, _ = https_get(self.http, "/healthz", ca=self.ca, cert=self.client_cert,
                              key=self.client_key)
        self.assertEqual(status, 200)
        with self.assertRaises((ssl.SSLError, ConnectionError)):
            https_get(self.http, "/healthz", ca=self.ca)
        with self.assertRaises((ssl.SSLError, ConnectionError)):
            https_get(self.http, "/healthz", ca=self.ca, cert=self.stranger_cert,
                      key=self.stranger_key)


def replace_file(path, content):
    """Writes `content` to `path` as rotation tools do: a complete file renamed into place."""
    with open(path + ".tmp", "wb") as f:
        f.write(content)
    os.replace(path + ".tmp", path)


class SighupReloadTest(LiveCertCase):
    """SIGHUP reloads the certificate of both listeners at once (gRPC within about a second,
    its file watcher's interval), and files that do not load never replace a served one."""

    def start(self, interval):
        self.server = self.serve(f"--tls-cert={self.live_cert}", f"--tls-key={self.live_key}",
                                 f"--http-addr={self.http}", f"--tls-reload-interval-s={interval}")
        wait_for_http(self.http)

    def served(self):
        return served_certificate(self.server.address), served_certificate(self.http)

    def wait_for_log(self, text, count=1, timeout=10):
        deadline = time.monotonic() + timeout
        while self.server_log(self.server).count(text) < count:
            self.assertLess(time.monotonic(), deadline, self.server_log(self.server))
            time.sleep(0.05)

    def test_sighup_serves_a_new_certificate_on_both_listeners_within_two_seconds(self):
        # An interval far beyond the test: only SIGHUP can bring the new certificate.
        self.start(3600)
        old = pem_fingerprint(self.cert)
        self.assertEqual(self.served(), (old, old))
        # A new CA, so a client that trusts only it proves the new chain is what is served.
        new_ca, _ = self.pki.ca("ca2")
        new_cert, new_key = self.pki.issue("ca2", "server-ca2", "localhost", "server")
        new = pem_fingerprint(new_cert)
        replace_file(self.live_key, read(new_key))
        replace_file(self.live_cert, read(new_cert))
        self.assertEqual(self.served(), (old, old))  # nothing re-read yet
        sent = time.monotonic()
        self.server.proc.send_signal(signal.SIGHUP)
        grpc_after = https_after = None
        while grpc_after is None or https_after is None:
            grpc_now, https_now = self.served()
            elapsed = time.monotonic() - sent
            if grpc_after is None and grpc_now == new:
                grpc_after = elapsed
            if https_after is None and https_now == new:
                https_after = elapsed
            self.assertLess(elapsed, 2.0, f"gRPC {grpc_now == new}, HTTPS {https_now == new}")
            time.sleep(0.02)
        print(f"new certificate served {grpc_after:.2f}s (gRPC) and {https_after:.2f}s (HTTPS) "
              "after SIGHUP", file=sys.stderr)
        self.wait_for_log("TLS certificate loaded", count=2)  # start-up, then SIGHUP
        log = self.server_log(self.server)
        self.assertIn("TLS certificate loaded", log)
        self.assertIn("SIGHUP", log)
        serial = subprocess.run(["openssl", "x509", "-noout", "-serial", "-in", new_cert],
                                capture_output=True, text=True).stdout.strip().split("=")[1]
        self.assertIn(serial.lstrip("0").upper(), log.upper())
        with self.client(self.server.address, ca_file=new_ca) as c:
            self.assertEqual(c.get_server_info().backend, "sqlite")
        self.assertEqual(https_get(self.http, "/healthz", ca=new_ca)[0], 200)
        self.assertIsNone(self.server.proc.poll())

    def test_bad_files_and_sighup_keep_the_served_certificate(self):
        self.start(3600)
        old = pem_fingerprint(self.cert)
        other_cert, other_key = self.pki.issue("ca", "server3", "localhost", "server")
        bad_sets = [
            ("a certificate file that is not PEM", b"not a certificate\n", read(self.key)),
            ("a key that does not match", read(self.cert), read(other_key)),
            ("an empty key file", read(self.cert), b""),
            ("a certificate with the previous key", read(other_cert), read(self.key)),
        ]
        for n, (what, cert, key) in enumerate(bad_sets, start=1):
            replace_file(self.live_cert, cert)
            replace_file(self.live_key, key)
            self.server.proc.send_signal(signal.SIGHUP)
            self.wait_for_log("still serving the previous certificate", count=n)
            # Past gRPC's watch interval: the staged copy was never touched.
            time.sleep(1.5)
            self.assertEqual(self.served(), (old, old), what)
            with self.client(self.server.address, ca_file=self.ca) as c:
                self.assertEqual(c.get_server_info().backend, "sqlite", what)
            self.assertEqual(https_get(self.http, "/healthz", ca=self.ca)[0], 200, what)
        # A missing file too.
        os.remove(self.live_key)
        self.server.proc.send_signal(signal.SIGHUP)
        self.wait_for_log("still serving the previous certificate", count=len(bad_sets) + 1)
        self.assertIn("cannot read --tls-key", self.server_log(self.server))
        time.sleep(1.5)
        self.assertEqual(self.served(), (old, old))
        # Good files again: served at once.
        replace_file(self.live_key, read(other_key))
        replace_file(self.live_cert, read(other_cert))
        self.server.proc.send_signal(signal.SIGHUP)
        new = pem_fingerprint(other_cert)
        deadline = time.monotonic() + 2
        while self.served() != (new, new):
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.05)
        self.assertIsNone(self.server.proc.poll())

    def test_bad_files_found_by_the_periodic_check_are_logged_once_and_not_served(self):
        self.start(1)
        old = pem_fingerprint(self.cert)
        replace_file(self.live_cert, b"-----BEGIN CERTIFICATE-----\ngarbage\n")
        self.wait_for_log("still serving the previous certificate")
        time.sleep(3)  # three more checks and three gRPC watches
        self.assertEqual(self.served(), (old, old))
        self.assertEqual(
            self.server_log(self.server).count("still serving the previous certificate"), 1)
        with self.client(self.server.address, ca_file=self.ca) as c:
            self.assertEqual(c.get_server_info().backend, "sqlite")


class ExpiredCertificateTest(TlsCase):
    def test_expired_server_certificate_is_refused(self):
        cert, key = self.pki.issue("ca", "expired", "localhost", "server", "20200101000000Z",
                                   "20200102000000Z")
        server = self.serve(f"--tls-cert={cert}", f"--tls-key={key}")
        with self.client(server.address, ca_file=self.ca) as c:
            with self.assertRaises(larder.Unavailable) as raised:
                c.get_server_info()
        self.assertRegex(str(raised.exception), r"(?i)certificate[ _]verify[ _]failed|expired")
        status = ctl(server.address, f"--ca-file={self.ca}", "status")
        self.assertNotEqual(status.returncode, 0)
        self.assertIn("certificate verify failed", status.stderr)


class MutualTlsTest(TlsCase):
    def setUp(self):
        super().setUp()
        tokens = os.path.join(self.work, "tokens")
        with open(tokens, "w") as f:
            f.write("s3cret-token-for-ci alice roles=admin\n")
        self.server = self.serve(f"--tls-cert={self.cert}", f"--tls-key={self.key}",
                                 f"--tls-client-ca={self.ca}", f"--auth-tokens={tokens}")

    def with_certificate(self, cert, key, **kwargs):
        return self.client(self.server.address, ca_file=self.ca, cert_file=cert, key_file=key,
                           **kwargs)

    def test_client_certificate_connects_and_its_subject_is_the_caller(self):
        with self.with_certificate(self.client_cert, self.client_key) as c:
            c.apply_batch("shop", [project("shop"), entity("driver")])
            self.assertEqual(c.get_object_history("shop", "entity", "driver")[0].actor,
                             "ci-client")
        # A token, when sent, names the caller instead of the certificate.
        with self.with_certificate(self.client_cert, self.client_key,
                                   token="s3cret-token-for-ci") as c:
            c.apply_batch("shop", [entity("rider")])
            self.assertEqual(c.get_object_history("shop", "entity", "rider")[0].actor, "alice")
        status = ctl(self.server.address, f"--ca-file={self.ca}",
                     f"--cert-file={self.client_cert}", f"--key-file={self.client_key}",
                     "history", "entity", "driver", "--project=shop", "-o", "json")
        self.assertEqual(status.returncode, 0, status.stderr)
        self.assertIn("ci-client", status.stdout)

    def test_mutual_tls_from_the_environment(self):
        """LARDER_CA_FILE, LARDER_CERT_FILE and LARDER_KEY_FILE: Python package and larderctl."""
        with environment(LARDER_CA_FILE=self.ca, LARDER_CERT_FILE=self.client_cert,
                         LARDER_KEY_FILE=self.client_key):
            with larder.LarderClient(self.server.address, max_attempts=1, deadline=5) as c:
                self.assertEqual(c.get_server_info().backend, "sqlite")
            status = subprocess.run([LARDERCTL, f"--addr={self.server.address}", "--timeout=5",
                                     "status"], capture_output=True, text=True, timeout=60)
            self.assertEqual(status.returncode, 0, status.stderr)

    def test_missing_client_certificate_is_refused(self):
        with self.client(self.server.address, ca_file=self.ca) as c:
            with self.assertRaises(larder.Unavailable) as raised:
                c.get_server_info()
        self.assertIn("give cert_file and key_file", str(raised.exception))
        status = ctl(self.server.address, f"--ca-file={self.ca}", "status")
        self.assertNotEqual(status.returncode, 0)
        self.assertIn("give --cert-file and --key-file", status.stderr)

    def test_expired_client_certificate_is_refused(self):
        cert, key = self.pki.issue("ca", "expired-client", "ci-client", "client",
                                   "20200101000000Z", "20200102000000Z")
        with self.with_certificate(cert, key) as c:
            with self.assertRaises(larder.Unavailable):
                c.get_server_info()
        status = ctl(self.server.address, f"--ca-file={self.ca}", f"--cert-file={cert}",
                     f"--key-file={key}", "status")
        self.assertNotEqual(status.returncode, 0)
        self.assertIn("cannot reach larder", status.stderr)

    def test_client_certificate_from_another_ca_is_refused(self):
        with self.with_certificate(self.stranger_cert, self.stranger_key) as c:
            with self.assertRaises(larder.Unavailable):
                c.get_server_info()
        status = ctl(self.server.address, f"--ca-file={self.ca}",
                     f"--cert-file={self.stranger_cert}", f"--key-file={self.stranger_key}",
                     "status")
        self.assertNotEqual(status.returncode, 0)


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit("usage: tls_test.py LARDER_BINARY LARDERCTL_BINARY")
    LARDERCTL = os.path.abspath(sys.argv[2])
    servers.run_suite([], sys.argv[:2],
                      once=[ServerTlsTest, HttpsTest, SighupReloadTest, ExpiredCertificateTest,
                            MutualTlsTest])
