"""LarderClient's transport rules against a scripted in-process larder.v1 server (no database,
no larder binary): which outcomes are retried and how often, the request id and bearer token on
every attempt, failover order, and TLS with a given root certificate. The behaviour of the real
server is covered by client_test.py; here the server's answers are chosen to hit each rule.

Usage (via run-python-client-test.sh): retry_tls_test.py
"""
import os
import shutil
import subprocess
import tempfile
import threading
import time
import unittest
from concurrent import futures

import grpc

import larder
from larder import v1
from larder.protos.larder.v1 import registry_pb2_grpc


class ScriptedRegistry(registry_pb2_grpc.RegistryServicer):
    """Answers each call with the next code of `script` (OK when it runs out), recording the
    metadata of every attempt."""

    def __init__(self):
        self.script = []
        self.attempts = []  # (method, request id, authorization)
        self.watch_requests = []  # after_revision of each WatchChanges stream opened
        self.watch_endings = []
        self.lock = threading.Lock()

    def _next(self, method, context):
        md = dict(context.invocation_metadata())
        with self.lock:
            self.attempts.append((method, md.get("x-larder-request-id"),
                                  md.get("authorization")))
            code = self.script.pop(0) if self.script else grpc.StatusCode.OK
        if code != grpc.StatusCode.OK:
            context.abort(code, f"scripted {code.name}")

    def GetServerInfo(self, request, context):
        self._next("GetServerInfo", context)
        return v1.GetServerInfoResponse(backend="scripted", current_revision=7)

    def ApplyBatch(self, request, context):
        self._next("ApplyBatch", context)
        return v1.ApplyBatchResponse()

    def WatchChanges(self, request, context):
        """Stream n (0-based) sends change after_revision+1, then ends as watch_endings[n]
        says: "hang" (silent until cancelled) or a status code to fail with."""
        with self.lock:
            n = len(self.watch_requests)
            self.watch_requests.append(request.after_revision)
        rev = request.after_revision + 1
        yield v1.WatchChangesResponse(change=v1.Change(revision=rev, name=f"c{rev}"))
        ending = self.watch_endings[n] if n < len(self.watch_endings) else "hang"
        if ending == "hang":
            while context.is_active():
                time.sleep(0.05)
            return
        context.abort(ending, f"scripted {ending.name}")


def serve(servicer, credentials=None):
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    registry_pb2_grpc.add_RegistryServicer_to_server(servicer, server)
    if credentials is None:
        port = server.add_insecure_port("127.0.0.1:0")
    else:
        port = server.add_secure_port("127.0.0.1:0", credentials)
    server.start()
    return server, f"127.0.0.1:{port}"


class RetryTest(unittest.TestCase):
    def setUp(self):
        self.registry = ScriptedRegistry()
        self.server, self.address = serve(self.registry)

    def tearDown(self):
        self.server.stop(None)

    def client(self, **kwargs):
        return larder.LarderClient(self.address, initial_backoff=0.001, max_backoff=0.01,
                                   **kwargs)

    def test_reads_retry_unavailable_with_one_request_id_and_token_per_attempt(self):
        self.registry.script = [grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED,
                                grpc.StatusCode.ABORTED]
        tokens = iter(["t1", "t2", "t3", "t4"])
        with self.client(token_provider=lambda: next(tokens)) as c:
            self.assertEqual(c.get_server_info().current_revision, 7)
        self.assertEqual(len(self.registry.attempts), 4)
        self.assertEqual(len({a[1] for a in self.registry.attempts}), 1)  # one request id
        self.assertEqual([a[2] for a in self.registry.attempts],
                         ["Bearer t1", "Bearer t2", "Bearer t3", "Bearer t4"])

    def test_gives_up_after_max_attempts(self):
        self.registry.script = [grpc.StatusCode.UNAVAILABLE] * 10
        with self.client(max_attempts=3) as c:
            with self.assertRaises(larder.Unavailable) as caught:
                c.get_server_info()
        self.assertEqual(len(self.registry.attempts), 3)
        self.assertEqual(caught.exception.request_id, self.registry.attempts[0][1])

    def test_apply_batch_retries_unavailable_only_when_the_server_deduplicates(self):
        self.registry.script = [grpc.StatusCode.UNAVAILABLE]
        with self.client() as c:
            c.apply_batch("shop", request_id="ci-1")
        self.assertEqual([a[1] for a in self.registry.attempts], ["ci-1", "ci-1"])
        self.registry.attempts.clear()
        self.registry.script = [grpc.StatusCode.UNAVAILABLE]
        with self.client(server_deduplicates_requests=False) as c:
            with self.assertRaises(larder.Unavailable):
                c.apply_batch("shop")
        self.assertEqual(len(self.registry.attempts), 1)
        self.registry.attempts.clear()
        self.registry.script = [grpc.StatusCode.ABORTED]  # nothing committed: always retried
        with self.client(server_deduplicates_requests=False) as c:
            c.apply_batch("shop")
        self.assertEqual(len(self.registry.attempts), 2)

    def test_errors_that_retrying_cannot_fix_are_not_retried(self):
        for code, cls in ((grpc.StatusCode.INVALID_ARGUMENT, larder.InvalidArgument),
                          (grpc.StatusCode.PERMISSION_DENIED, larder.PermissionDenied),
                          (grpc.StatusCode.FAILED_PRECONDITION, larder.FailedPrecondition),
                          (grpc.StatusCode.OUT_OF_RANGE, larder.RevisionCompacted)):
            self.registry.attempts.clear()
            self.registry.script = [code]
            with self.client() as c:
                with self.assertRaises(cls):
                    c.get_server_info()
            self.assertEqual(len(self.registry.attempts), 1, code)

    def test_unavailable_moves_to_the_next_address(self):
        other = ScriptedRegistry()
        server2, address2 = serve(other)
        try:
            self.registry.script = [grpc.StatusCode.UNAVAILABLE]
            with larder.LarderClient([self.address, address2], initial_backoff=0.001) as c:
                c.get_server_info()
                self.assertEqual(c.current_address, address2)
                c.get_server_info()
            self.assertEqual(len(self.registry.attempts), 1)
            self.assertEqual(len(other.attempts), 2)
        finally:
            server2.stop(None)


class WatchTest(unittest.TestCase):
    def setUp(self):
        self.registry = ScriptedRegistry()
        self.server, self.address = serve(self.registry)

    def tearDown(self):
        self.server.stop(None)

    def collect(self, n, **kwargs):
        with larder.LarderClient(self.address, initial_backoff=0.001, max_backoff=0.01) as c:
            with c.watch(10, **kwargs) as w:
                got = []
                for change in w:
                    got.append(change.revision)
                    if len(got) == n:
                        return got, w

    def test_resumes_after_a_silent_stream_from_the_last_revision(self):
        got, w = self.collect(3, max_silence=0.3)
        self.assertEqual(got, [11, 12, 13])
        self.assertEqual(self.registry.watch_requests, [10, 11, 12])
        self.assertEqual(w.reconnects, 2)

    def test_resumable_codes_reopen_and_others_raise(self):
        self.registry.watch_endings = [grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.ABORTED,
                                       grpc.StatusCode.PERMISSION_DENIED]
        got = []
        with larder.LarderClient(self.address, initial_backoff=0.001) as c:
            with self.assertRaises(larder.PermissionDenied):
                for change in c.watch(10):
                    got.append(change.revision)
        self.assertEqual(got, [11, 12, 13])
        self.assertEqual(self.registry.watch_requests, [10, 11, 12])


class TlsTest(unittest.TestCase):
    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="larder-pyclient-tls-")
        key, cert = (os.path.join(self.work, n) for n in ("key.pem", "cert.pem"))
        result = subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
             "-out", cert, "-days", "1", "-subj", "/CN=registry.example.test",
             "-addext", "subjectAltName=DNS:registry.example.test"],
            capture_output=True, text=True)
        if result.returncode != 0:
            self.skipTest(f"openssl could not make a certificate: {result.stderr}")
        with open(key, "rb") as f:
            self.key = f.read()
        with open(cert, "rb") as f:
            self.cert = f.read()
        self.cert_file = cert
        self.registry = ScriptedRegistry()
        self.server, self.address = serve(
            self.registry, grpc.ssl_server_credentials([(self.key, self.cert)]))

    def tearDown(self):
        self.server.stop(None)
        shutil.rmtree(self.work, ignore_errors=True)

    def test_ca_file_and_server_name(self):
        with larder.LarderClient(self.address, ca_file=self.cert_file,
                                 server_name="registry.example.test") as c:
            self.assertEqual(c.get_server_info().backend, "scripted")

    def test_deprecated_root_certificates_and_authority_override(self):
        with self.assertWarns(DeprecationWarning):
            c = larder.LarderClient(self.address, tls=True, root_certificates=self.cert,
                                    authority_override="registry.example.test")
        with c:
            self.assertEqual(c.get_server_info().backend, "scripted")
        with self.assertRaisesRegex(ValueError, "ca_file or root_certificates"):
            larder.LarderClient(self.address, ca_file=self.cert_file, root_certificates=self.cert)

    def test_untrusted_server_is_refused(self):
        with larder.LarderClient(self.address, tls=True, max_attempts=1,
                                 server_name="registry.example.test") as c:
            with self.assertRaises(larder.Unavailable):
                c.get_server_info()  # the system roots do not know this certificate
        self.assertEqual(self.registry.attempts, [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
