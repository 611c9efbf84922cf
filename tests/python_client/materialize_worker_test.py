"""larder-materialize-worker (client/python, larder.materialize_worker) and MaterializationClient
against the real larder binary: worker processes drain a planned job, a worker killed with
kill -9 mid-task loses its lease to another, failures are retried then fail the job, SIGTERM
finishes the task in hand; and, where the Feast SDK is installed, Feast's own per-view
materialization through a feature_store.yaml whose registry is Larder.

Usage (via run-python-client-test.sh): materialize_worker_test.py LARDER_BINARY
Runs on SQLite, and on PostgreSQL / MariaDB when their admin URLs are set (servers.py).
"""
import datetime
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import larder
import servers
from client_test import entity, project, source, view
from larder.materialization import MaterializationClient
from larder.protos.feast.registry import RegistryServer_pb2
from larder.protos.larder.v1 import materialization_pb2 as mv1

HERE = os.path.dirname(os.path.abspath(__file__))
T0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
HOUR = datetime.timedelta(hours=1)


def online_view(name):
    v = view(name, "trips", "driver")
    v.spec.online = True
    return v


class WorkerTest(unittest.TestCase):
    backend, admin_url = "sqlite", None

    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="larder-pyworker-")
        self.db = servers.ScratchDatabase(self.backend, self.admin_url, self.work)
        self.server = servers.Larder(self.db.url, self.work, extra_args=["--http-addr="])
        self.client = larder.LarderClient(self.server.address, deadline=20)
        self.mat = MaterializationClient(self.server.address, deadline=20)
        self.client.apply_batch("shop", [project("shop"), entity("driver"), source("trips"),
                                         online_view("stats"), online_view("rides")])
        self.log = os.path.join(self.work, "done.log")
        self.started = os.path.join(self.work, "started")
        os.mkdir(self.started)
        self.procs = []

    def tearDown(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        self.mat.close()
        self.client.close()
        self.server.stop()
        self.db.drop()
        shutil.rmtree(self.work, ignore_errors=True)

    def worker(self, function, *args, sleep=0.0, worker_id=None):
        env = dict(os.environ, MAT_LOG=self.log, MAT_STARTED_DIR=self.started,
                   MAT_SLEEP=str(sleep),
                   PYTHONPATH=HERE + os.pathsep + os.environ.get("PYTHONPATH", ""))
        cmd = [sys.executable, "-m", "larder.materialize_worker", "--larder",
               self.server.address, "--function", f"mat_functions:{function}",
               "--poll-interval", "0.2", "--log-level", "WARNING", *args]
        if worker_id:
            cmd += ["--worker-id", worker_id]
        p = subprocess.Popen(cmd, env=env, cwd=self.work)
        self.procs.append(p)
        return p

    def intervals(self, name):
        stub = self.client.feast_registry_stub()
        fv = stub.GetFeatureView(RegistryServer_pb2.GetFeatureViewRequest(
            name=name, project="shop", allow_cache=False), timeout=20)
        return sorted((i.start_time.ToDatetime(), i.end_time.ToDatetime())
                      for i in fv.meta.materialization_intervals)

    def done_lines(self):
        if not os.path.exists(self.log):
            return []
        with open(self.log) as f:
            return [line.split() for line in f if line.strip()]

    def wait_for(self, predicate, timeout=60.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.1)
        self.fail("timed out waiting")

    def test_workers_drain_a_job_each_range_recorded_once(self):
        planned = self.mat.plan("shop", start=T0 - 12 * HOUR, end=T0, task_span=HOUR,
                                request_id="drain-1").job
        self.assertEqual(planned.progress.total, 24)  # 2 views x 12 hourly tasks
        workers = [self.worker("record", "--idle-exit", "2", "--max-tasks", "2", sleep=0.05)
                   for _ in range(4)]
        for w in workers:
            self.assertEqual(w.wait(timeout=120), 0)
        job = self.mat.get_job(planned.job_id, include_tasks=True)
        self.assertEqual(job.state, mv1.JOB_SUCCEEDED)
        self.assertEqual(job.progress.succeeded, 24)
        done = [line[0] for line in self.done_lines()]
        self.assertEqual(sorted(done), sorted(t.task_id for t in planned.tasks))  # once each
        self.assertGreater(len({line[1] for line in self.done_lines()}), 1)  # shared out
        start, end = (T0 - 12 * HOUR).replace(tzinfo=None), T0.replace(tzinfo=None)
        for name in ("stats", "rides"):
            spans = self.intervals(name)
            self.assertEqual(spans[0][0], start)
            self.assertEqual(spans[-1][1], end)
            for (_, a_end), (b_start, _) in zip(spans, spans[1:]):
                self.assertEqual(a_end, b_start)  # no gap, no overlap
            self.assertEqual(len(spans), 12)
        # The job list shows it; a second plan of the same range has nothing left to do.
        self.assertIn(planned.job_id, [j.job_id for j in self.mat.list_jobs("shop")])
        again = self.mat.plan("shop", start=T0 - 12 * HOUR, end=T0, task_span=HOUR).job
        self.assertEqual(again.progress.total, 0)

    def test_killed_worker_loses_its_lease_to_another(self):
        job = self.mat.plan("shop", ["stats"], start=T0 - HOUR, end=T0).job
        doomed = self.worker("record", "--lease-ttl", "2", "--once", sleep=120,
                             worker_id="doomed")
        self.wait_for(lambda: os.listdir(self.started))
        doomed.send_signal(signal.SIGKILL)
        doomed.wait()
        rescuer = self.worker("record", "--lease-ttl", "2", "--idle-exit", "8",
                              worker_id="rescuer")
        self.wait_for(lambda: self.mat.get_job(job.job_id).state == mv1.JOB_SUCCEEDED)
        rescuer.send_signal(signal.SIGTERM)
        self.assertEqual(rescuer.wait(timeout=30), 0)
        task = self.mat.get_job(job.job_id, include_tasks=True).tasks[0]
        self.assertEqual((task.state, task.worker, task.attempts),
                         (mv1.TASK_SUCCEEDED, "rescuer", 2))
        self.assertEqual(len(self.done_lines()), 1)
        self.assertEqual(len(self.intervals("stats")), 1)

    def test_failing_function_is_retried_then_fails_the_job(self):
        job = self.mat.plan("shop", ["stats"], start=T0 - HOUR, end=T0, max_attempts=2).job
        w = self.worker("always_fail", "--idle-exit", "25")
        self.wait_for(lambda: self.mat.get_job(job.job_id).state == mv1.JOB_FAILED, 60)
        w.send_signal(signal.SIGTERM)
        self.assertEqual(w.wait(timeout=30), 0)
        got = self.mat.get_job(job.job_id, include_tasks=True)
        self.assertIn("disk on fire under stats", got.error)
        self.assertEqual((got.tasks[0].state, got.tasks[0].attempts), (mv1.TASK_FAILED, 2))
        self.assertEqual(self.intervals("stats"), [])

    def test_sigterm_finishes_the_task_in_hand(self):
        job = self.mat.plan("shop", ["stats"], start=T0 - 2 * HOUR, end=T0, task_span=HOUR).job
        w = self.worker("record", "--max-tasks", "1", sleep=1.5)
        self.wait_for(lambda: os.listdir(self.started))
        w.send_signal(signal.SIGTERM)
        self.assertEqual(w.wait(timeout=30), 0)
        got = self.mat.get_job(job.job_id)
        self.assertEqual((got.progress.succeeded, got.progress.pending), (1, 1))
        self.assertEqual(len(self.done_lines()), 1)


def _feast_env():
    """The environment in which `import feast` works (the SDK folder's env.sh, else the
    interpreter's own packages), or None when the Feast SDK is absent."""
    root = os.environ.get("LARDER_REPO_ROOT", os.path.join(HERE, "..", ".."))
    sdk = os.environ.get("LARDER_FEAST_SDK_DIR", os.path.join(root, "..", "shared", "feast-sdk"))
    env = dict(os.environ)
    if os.path.isfile(os.path.join(sdk, "env.sh")):
        out = subprocess.run(["bash", "-c", f'. "{sdk}/env.sh" && env -0'], check=True,
                             capture_output=True).stdout.decode()
        env = dict(line.split("=", 1) for line in out.split("\0") if "=" in line)
        env["PYTHONPATH"] = os.environ.get("PYTHONPATH", "") + os.pathsep + env["PYTHONPATH"]
    probe = subprocess.run([sys.executable, "-P", "-c", "import feast"], env=env,
                           capture_output=True)
    return env if probe.returncode == 0 else None


REPO_DEFINITIONS = """
from datetime import timedelta
from feast import Entity, FeatureView, Field, FileSource
from feast.types import Float64
driver = Entity(name="driver", join_keys=["driver_id"])
trips = FileSource(name="trips", path=DATA, timestamp_field="ts")
stats = FeatureView(name="stats", entities=[driver], ttl=timedelta(days=30), online=True,
                    schema=[Field(name="rate", dtype=Float64)], source=trips)
"""


class FeastPathTest(unittest.TestCase):
    """The default function: Feast's own provider.materialize_single_feature_view, a
    feature_store.yaml whose registry is Larder (remote), a sqlite online store (SQLite only)."""

    def setUp(self):
        self.env = _feast_env()
        if self.env is None:
            self.skipTest("Feast SDK absent (../shared/feast-sdk or pip install feast==0.66.0)")
        self.work = tempfile.mkdtemp(prefix="larder-pyworker-feast-")
        self.db = servers.ScratchDatabase("sqlite", None, self.work)
        self.server = servers.Larder(self.db.url, self.work, extra_args=["--http-addr="])

    def tearDown(self):
        self.server.stop()
        shutil.rmtree(self.work, ignore_errors=True)

    def feast_python(self, code, cwd):
        return subprocess.run([sys.executable, "-P", "-c", code], env=self.env, cwd=cwd,
                              check=True, capture_output=True, text=True).stdout

    def test_feast_materializes_into_the_online_store(self):
        repo = os.path.join(self.work, "repo")
        os.mkdir(repo)
        peer_kit = subprocess.run([sys.executable, "-P", "-c", "import feast_peer_kit"],
                                  env=self.env, capture_output=True).returncode == 0
        # The SDK folder's pyarrow is inert: there, CSV through its pandas offline store and
        # engine; with a pip-installed Feast, Feast's own file store and local engine (Parquet).
        data = os.path.join(repo, "trips.csv" if peer_kit else "trips.parquet")
        rows = ("import pandas as pd\n"
                "df = pd.DataFrame({'driver_id': [1, 2, 1], 'rate': [0.5, 0.7, 0.9],"
                " 'ts': pd.to_datetime(['2025-12-31T20:00:00', '2025-12-31T21:00:00',"
                " '2025-12-31T23:00:00'], utc=True)})\n")
        rows += (f"df.to_csv({data!r}, index=False)\n" if peer_kit
                 else f"df.to_parquet({data!r})\n")
        self.feast_python(rows, repo)
        stores = ("offline_store:\n  type: feast_peer_kit.offline.PandasFileOfflineStore\n"
                  "batch_engine:\n  type: feast_peer_kit.engine.PandasComputeEngine\n"
                  if peer_kit else "offline_store:\n  type: file\n")
        with open(os.path.join(repo, "feature_store.yaml"), "w") as f:
            f.write(f"project: shop\nprovider: local\nregistry:\n  registry_type: remote\n"
                    f"  path: {self.server.address}\nonline_store:\n  type: sqlite\n"
                    f"  path: {os.path.join(self.work, 'online.db')}\n{stores}"
                    f"entity_key_serialization_version: 3\n")
        with open(os.path.join(repo, "definitions.py"), "w") as f:
            f.write(f"DATA = {data!r}\n" + REPO_DEFINITIONS)
        applied = subprocess.run(
            ["feast", "apply"] if shutil.which("feast", path=self.env.get("PATH"))
            else [sys.executable, "-P", "-m", "feast.cli.cli", "apply"],
            env=self.env, cwd=repo, capture_output=True, text=True)
        self.assertEqual(applied.returncode, 0, applied.stdout + applied.stderr)
        with MaterializationClient(self.server.address, deadline=20) as mat:
            job = mat.plan("shop", ["stats"], start=T0 - 6 * HOUR, end=T0,
                           task_span=2 * HOUR).job
            self.assertEqual(job.progress.total, 3)
            worker = subprocess.run(
                [sys.executable, "-P", "-m", "larder.materialize_worker", "--larder",
                 self.server.address, "--repo-path", repo, "--idle-exit", "1",
                 "--poll-interval", "0.2", "--max-tasks", "3"],
                env=self.env, cwd=repo, capture_output=True, text=True, timeout=300)
            self.assertEqual(worker.returncode, 0, worker.stderr)
            got = mat.get_job(job.job_id)
            self.assertEqual((got.state, got.progress.succeeded), (mv1.JOB_SUCCEEDED, 3),
                             worker.stderr)
        # Feast's own reads: the intervals Larder recorded, the values Feast wrote online.
        out = self.feast_python(
            "from feast import FeatureStore\n"
            "s = FeatureStore(repo_path='.')\n"
            "fv = s.registry.get_feature_view('stats', 'shop', allow_cache=False)\n"
            "print(sorted((a.isoformat(), b.isoformat()) "
            "for a, b in fv.materialization_intervals))\n"
            "r = s.get_online_features(features=['stats:rate'],"
            " entity_rows=[{'driver_id': 1}, {'driver_id': 2}]).to_dict()\n"
            "print(r['rate'])\n", repo)
        intervals, rates = out.strip().splitlines()[-2:]
        self.assertEqual(intervals.count("("), 3, out)
        self.assertIn("2025-12-31T18:00:00", intervals)
        self.assertIn("2026-01-01T00:00:00", intervals)
        self.assertEqual(rates, "[0.9, 0.7]")


if __name__ == "__main__":
    servers.run_suite([WorkerTest], sys.argv, once=[FeastPathTest])
