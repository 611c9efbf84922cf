"""The unchanged Feast SDK (v0.66.0) against the real larder binary: `feast apply`, `feast plan`,
FeatureStore.apply and `feast teardown`, and the atomicity Larder adds to them (staged
commit=false writes, docs/feast-compatibility.md "Atomic feast apply").

Usage: staged_apply_sdk_test.py LARDER_BINARY
Runs on SQLite, and on PostgreSQL / MariaDB when LARDER_TEST_POSTGRES_URL / LARDER_TEST_MYSQL_URL
are set. Prints "SKIPPED: ..." and exits 0 when the Feast SDK cannot be imported.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest
import uuid

try:
    import grpc
    from feast import FeatureStore
    from feast.infra.registry.remote import RemoteRegistry  # noqa: F401 (the client under test)
except Exception as e:  # noqa: BLE001 - any import failure means "no SDK here"
    print(f"SKIPPED: the Feast SDK v0.66.0 is not importable here ({e}); "
          "see ../shared/feast-sdk or `pip install feast==0.66.0`")
    sys.exit(0)

LARDER = None  # set from argv

REPO_PY = textwrap.dedent('''
    from datetime import timedelta
    from feast import Entity, FeatureService, FeatureView, Field, FileSource
    from feast.types import Float64, Int64

    driver = Entity(name="driver", join_keys=["driver_id"])
    source = FileSource(name="driver_stats_source", path="{csv}",
                        timestamp_field="event_timestamp")
    stats = FeatureView(name="driver_stats", entities=[driver], ttl=timedelta(days=1),
                        schema=[Field(name="conv_rate", dtype=Float64),
                                Field(name="trips", dtype=Int64)],
                        source=source)
    service = FeatureService(name="driver_service", features=[stats])
''')


def varint_fields(data: bytes) -> dict:
    """field number -> int for the varint fields of a serialized message (enough for
    larder.v1.GetServerInfoResponse's counters without generated stubs)."""
    out, i = {}, 0
    while i < len(data):
        key, i = _varint(data, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            out[number], i = _varint(data, i)
        elif wire == 2:
            length, i = _varint(data, i)
            i += length
        else:
            raise ValueError(f"unexpected wire type {wire}")
    return out


def _varint(data: bytes, i: int):
    shift = value = 0
    while True:
        b = data[i]
        i += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, i


class Larder:
    """A larder process on a free port over `db_url`."""

    def __init__(self, db_url: str, workdir: str, extra_args=()):
        self.log = open(os.path.join(workdir, "larder.log"), "w+")
        self.proc = subprocess.Popen(
            [LARDER, "serve", f"--db={db_url}", "--addr=127.0.0.1:0", "--cache-poll-ms=200",
             *extra_args],
            stdout=subprocess.PIPE, stderr=self.log, text=True, cwd=workdir)
        line = self.proc.stdout.readline()
        m = re.search(r"serving .* on 127\.0\.0\.1:(\d+)", line)
        if not m:
            raise RuntimeError(f"larder did not start: {line!r}")
        self.address = f"127.0.0.1:{m.group(1)}"
        self.channel = grpc.insecure_channel(self.address)
        self._info = self.channel.unary_unary(
            "/larder.v1.Registry/GetServerInfo",
            request_serializer=lambda _: b"", response_deserializer=lambda b: b)

    def info(self) -> dict:
        fields = varint_fields(self._info(None))
        return {"revision": fields.get(3, 0), "staged_writes": fields.get(6, 0),
                "staged_sessions": fields.get(7, 0)}

    def stop(self):
        self.channel.close()
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)
        self.log.close()


def scratch_urls():
    urls = [("sqlite", None)]
    for name, var in (("postgres", "LARDER_TEST_POSTGRES_URL"),
                      ("mysql", "LARDER_TEST_MYSQL_URL")):
        if os.environ.get(var):
            urls.append((name, os.environ[var]))
        elif os.environ.get("LARDER_TEST_REQUIRE_ALL_BACKENDS") == "1":
            raise RuntimeError(f"{var} is not set but LARDER_TEST_REQUIRE_ALL_BACKENDS=1")
    return urls


def fresh_database(backend: str, admin_url: str, workdir: str) -> str:
    """A new empty database on the server behind admin_url (SQLite: a file in workdir)."""
    if backend == "sqlite":
        return f"sqlite:///{os.path.join(workdir, 'registry.db')}"
    name = "sdk_" + uuid.uuid4().hex[:12]
    if backend == "postgres":
        subprocess.run(["psql", admin_url, "-qc", f"CREATE DATABASE {name}"], check=True)
        return admin_url.rsplit("/", 1)[0] + "/" + name
    m = re.match(r"mysql://([^:]+):([^@]+)@([^:]+):(\d+)/", admin_url)
    subprocess.run(["mariadb", "--no-defaults", f"-u{m.group(1)}", f"-p{m.group(2)}",
                    f"-h{m.group(3)}", f"-P{m.group(4)}", "-e", f"CREATE DATABASE {name}"],
                   check=True)
    return admin_url.rsplit("/", 1)[0] + "/" + name


class FeastSdkAgainstLarder(unittest.TestCase):
    backend = "sqlite"
    admin_url = None
    larder_args = ()

    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="larder-sdk-")
        self.larder = Larder(fresh_database(self.backend, self.admin_url, self.work), self.work,
                             self.larder_args)
        self.repo = os.path.join(self.work, "repo")
        os.makedirs(self.repo)
        csv = os.path.join(self.work, "driver_stats.csv")
        with open(csv, "w") as f:
            f.write("driver_id,event_timestamp,conv_rate,trips\n"
                    "1001,2026-01-01 00:00:00,0.5,10\n")
        with open(os.path.join(self.repo, "feature_store.yaml"), "w") as f:
            f.write(textwrap.dedent(f"""\
                project: shop
                provider: local
                registry:
                  registry_type: remote
                  path: {self.larder.address}
                online_store:
                  type: sqlite
                  path: {os.path.join(self.work, 'online.db')}
                offline_store:
                  type: feast_peer_kit.offline.PandasFileOfflineStore
                batch_engine:
                  type: feast_peer_kit.engine.PandasComputeEngine
                entity_key_serialization_version: 3
                """))
        with open(os.path.join(self.repo, "repo.py"), "w") as f:
            f.write(REPO_PY.format(csv=csv))

    def tearDown(self):
        self.larder.stop()
        shutil.rmtree(self.work, ignore_errors=True)

    def feast(self, *args, check=True):
        result = subprocess.run(["feast", "-c", self.repo, *args], capture_output=True,
                                text=True, timeout=300)
        if check and result.returncode != 0:
            self.fail(f"feast {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def python(self, code: str, check=True, wait=True):
        """Runs `code` in a fresh Python process (its own gRPC connection), with `store`
        a FeatureStore over the repo."""
        prelude = ("import sys\nfrom feast import FeatureStore\n"
                   f"store = FeatureStore(repo_path={self.repo!r})\n")
        proc = subprocess.Popen([sys.executable, "-P", "-c", prelude + textwrap.dedent(code)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if not wait:
            return proc
        out, err = proc.communicate(timeout=300)
        if check and proc.returncode != 0:
            self.fail(f"python failed ({proc.returncode}):\n{out}\n{err}")
        return proc.returncode, out, err

    def names(self):
        rc, out, _ = self.python("""
            names = sorted([f"entity:{e.name}" for e in store.list_entities()]
                + [f"view:{v.name}" for v in store.list_feature_views()]
                + [f"service:{s.name}" for s in store.list_feature_services()]
                + [f"source:{d.name}" for d in store.list_data_sources()])
            print(",".join(names))
        """)
        return out.strip().split(",") if out.strip() else []

    def test_feast_cli_apply_plan_teardown(self):
        self.feast("apply")
        self.assertEqual(self.names(), ["entity:driver", "service:driver_service",
                                        "source:driver_stats_source", "view:driver_stats"])
        applied = self.larder.info()
        self.assertEqual(applied["staged_writes"], 0)
        # A second apply and a plan change nothing.
        self.feast("apply")
        plan = self.feast("plan")
        self.assertIn("No changes to registry", plan.stdout)
        self.assertEqual(self.larder.info()["revision"], applied["revision"])
        self.feast("teardown")
        self.assertEqual(self.names(), [])

    def failing_apply(self):
        """FeatureStore.apply whose online-store update fails after the registry writes were
        sent (commit=false) and before the commit; returns the process's exit code."""
        rc, out, err = self.python("""
            from feast import Entity
            provider = store._get_provider()
            def broken(*args, **kwargs):
                raise RuntimeError("online store unavailable")
            provider.update_infra = broken
            try:
                store.apply([Entity(name="courier", join_keys=["courier_id"])],
                            objects_to_delete=[store.get_feature_service("driver_service")],
                            partial=False)
            except RuntimeError as e:
                print("apply failed:", e)
                sys.exit(3)
        """, check=False)
        self.assertEqual(rc, 3, err)

    def test_failed_python_apply_leaves_nothing(self):
        self.feast("apply")
        before = self.larder.info()["revision"]
        # FeatureStore.apply stages its writes, then updates the online store, then commits.
        # The online-store update fails: Feast's own registries keep the writes sent so far;
        # Larder keeps none.
        self.failing_apply()
        self.assertEqual(self.larder.info()["revision"], before)
        self.assertEqual(self.names(), ["entity:driver", "service:driver_service",
                                        "source:driver_stats_source", "view:driver_stats"])
        # The same apply, unbroken, lands whole.
        self.python("""
            from feast import Entity
            store.apply([Entity(name="courier", join_keys=["courier_id"])],
                        objects_to_delete=[store.get_feature_service("driver_service")],
                            partial=False)
        """)
        self.assertEqual(self.names(), ["entity:courier", "entity:driver",
                                        "source:driver_stats_source", "view:driver_stats"])

    def test_killed_apply_leaves_nothing(self):
        self.feast("apply")
        before = self.larder.info()["revision"]
        proc = self.python("""
            import time
            from feast import Entity
            provider = store._get_provider()
            def slow(*args, **kwargs):
                print("staged", flush=True)
                time.sleep(600)
            provider.update_infra = slow
            store.apply([Entity(name="courier", join_keys=["courier_id"])])
        """, wait=False)
        self.assertEqual(proc.stdout.readline().strip(), "staged")
        self.assertGreater(self.larder.info()["staged_writes"], 0)
        proc.kill()  # kill -9 midway through the apply
        proc.wait()
        deadline = time.time() + 15
        while time.time() < deadline and self.larder.info()["staged_sessions"] > 0:
            time.sleep(0.2)
        info = self.larder.info()
        self.assertEqual(info["staged_sessions"], 0)
        self.assertEqual(info["revision"], before)
        self.assertNotIn("entity:courier", self.names())


class FeastBehaviourWithStagingOff(FeastSdkAgainstLarder):
    """--staged-apply=off: Feast's SQL-registry behaviour, for contrast."""
    larder_args = ("--staged-apply=off",)

    def test_failed_python_apply_is_half_applied(self):
        self.feast("apply")
        self.failing_apply()
        # The entity was written and the feature service deleted though the apply failed.
        self.assertEqual(self.names(), ["entity:courier", "entity:driver",
                                        "source:driver_stats_source", "view:driver_stats"])


def main():
    global LARDER
    LARDER = os.path.abspath(sys.argv[1])
    suite = unittest.TestSuite()
    loader = unittest.TestLoader()
    for backend, url in scratch_urls():
        cls = type(f"FeastSdk_{backend}", (FeastSdkAgainstLarder,),
                   {"backend": backend, "admin_url": url})
        suite.addTests(loader.loadTestsFromTestCase(cls))
    suite.addTest(FeastBehaviourWithStagingOff("test_failed_python_apply_is_half_applied"))
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    sys.exit(0 if result.wasSuccessful() else 1)


if __name__ == "__main__":
    main()
