"""The unchanged Feast SDK (v0.66.0) against the real larder binary over TLS: a remote registry
configured as `registry: {registry_type: remote, path: host:port, cert: ca.pem}` applies and
lists objects; with the server requiring client certificates, Feast's client_cert/client_key
connect and the certificate's subject is recorded as the actor; a client without one is
refused. Certificates are made with openssl (tests/python_client/tls_pki.py).

Usage: tls_sdk_test.py LARDER_BINARY
Prints "SKIPPED: ..." and exits 0 when the Feast SDK cannot be imported.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import unittest

try:
    from feast import FeatureStore  # noqa: F401 (the client under test)
    from feast.infra.registry.remote import RemoteRegistry  # noqa: F401
except Exception as e:  # noqa: BLE001 - any import failure means "no SDK here"
    print(f"SKIPPED: the Feast SDK v0.66.0 is not importable here ({e}); "
          "see ../shared/feast-sdk or `pip install feast==0.66.0`")
    sys.exit(0)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                "python_client"))
import tls_pki  # noqa: E402

LARDER = None  # set from argv


class FeastOverTlsTest(unittest.TestCase):
    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="larder-sdk-tls-")
        pki = tls_pki.Pki(self.work)
        try:
            self.ca, _ = pki.ca("ca")
        except (RuntimeError, FileNotFoundError) as e:
            self.skipTest(f"openssl cannot make certificates: {e}")
        self.cert, self.key = pki.issue("ca", "server", "localhost", "server")
        self.client_cert, self.client_key = pki.issue("ca", "client", "feast-ci", "client")
        self.proc = None

    def tearDown(self):
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                self.proc.wait(timeout=30)
            self.proc.stdout.close()
            self.log.close()
        shutil.rmtree(self.work, ignore_errors=True)

    def serve(self, *args):
        db = os.path.join(self.work, "registry.db")
        self.log = open(os.path.join(self.work, "larder.log"), "w+")
        self.proc = subprocess.Popen(
            [LARDER, "serve", f"--db=sqlite:///{db}", "--migrate", "--addr=127.0.0.1:0",
             "--http-addr=", "--drain-seconds=0", f"--tls-cert={self.cert}",
             f"--tls-key={self.key}", *args],
            stdout=subprocess.PIPE, stderr=self.log, text=True, cwd=self.work)
        m = re.search(r"serving .* on 127\.0\.0\.1:(\d+)", self.proc.stdout.readline())
        self.assertIsNotNone(m, "larder did not start")
        return f"127.0.0.1:{m.group(1)}"

    def repo(self, address, registry_extra=""):
        repo = os.path.join(self.work, "repo")
        os.makedirs(repo, exist_ok=True)
        with open(os.path.join(repo, "feature_store.yaml"), "w") as f:
            f.write(textwrap.dedent(f"""\
                project: shop
                provider: local
                registry:
                  registry_type: remote
                  path: {address}
                  cert: {self.ca}
                {registry_extra}
                online_store:
                  type: sqlite
                  path: {os.path.join(self.work, 'online.db')}
                entity_key_serialization_version: 3
                """))
        return repo

    def python(self, repo, code):
        prelude = ("from feast import Entity, FeatureStore\n"
                   f"store = FeatureStore(repo_path={repo!r})\n")
        return subprocess.run([sys.executable, "-P", "-c", prelude + textwrap.dedent(code)],
                              capture_output=True, text=True, timeout=300)

    def test_remote_registry_with_cert(self):
        repo = self.repo(self.serve())
        result = self.python(repo, """
            store.apply([Entity(name="driver", join_keys=["driver_id"])])
            print(",".join(e.name for e in store.list_entities()))
        """)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.strip(), "driver")

    def test_mutual_tls_client_certificate(self):
        address = self.serve(f"--tls-client-ca={self.ca}")
        repo = self.repo(address, f"  client_cert: {self.client_cert}\n"
                                  f"                  client_key: {self.client_key}")
        result = self.python(repo, """
            store.apply([Entity(name="driver", join_keys=["driver_id"])])
            print(",".join(e.name for e in store.list_entities()))
        """)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.strip(), "driver")
        self.log.seek(0)
        self.assertIn('"actor":"feast-ci"', self.log.read())
        # Without a client certificate the handshake is refused.
        repo = self.repo(address)
        result = self.python(repo, "store.list_entities(allow_cache=False)\n")
        self.assertNotEqual(result.returncode, 0)


if __name__ == "__main__":
    LARDER = os.path.abspath(sys.argv[1])
    sys.argv[1:] = sys.argv[2:]
    unittest.main(verbosity=2)
