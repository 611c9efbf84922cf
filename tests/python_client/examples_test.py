"""The Python client's examples end to end, run with the package installed by
`pip install --no-build-isolation` into a virtualenv (as a user would), against the real binary:
client/python/examples/ci_apply.py and watch_cache.py.

Usage (via run-python-client-test.sh): examples_test.py LARDER_BINARY
"""
import importlib.util
import json
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
from google.protobuf import json_format
from larder import v1
from larder.protos.feast.core import Entity_pb2

ROOT = os.environ.get("LARDER_REPO_ROOT") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
EXAMPLES = os.path.join(ROOT, "client", "python", "examples")
DEFINITIONS = os.path.join(EXAMPLES, "definitions.json")
_installed = {}


def installed_python():
    """A virtualenv's python with the package pip-installed from a copy of client/python."""
    if "python" not in _installed:
        base = tempfile.mkdtemp(prefix="larder-pyinstall-")
        _installed["dir"] = base
        src = os.path.join(base, "src")
        shutil.copytree(os.path.join(ROOT, "client", "python"), src,
                        ignore=shutil.ignore_patterns("build", "*.egg-info", "protos",
                                                      "__pycache__"))
        venv = os.path.join(base, "venv")
        subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", venv],
                       check=True)
        python = os.path.join(venv, "bin", "python")
        env = dict(os.environ, LARDER_PROTO_ROOT=os.path.join(ROOT, "proto"))
        env.pop("PYTHONPATH", None)
        result = subprocess.run([python, "-m", "pip", "install", "--no-build-isolation",
                                 "--no-index", "--quiet", src], env=env, capture_output=True,
                                text=True)
        if result.returncode != 0:
            raise RuntimeError(f"pip install failed:\n{result.stdout}\n{result.stderr}")
        _installed["python"] = python
    return _installed["python"]


def load_example(name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(EXAMPLES, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class ExamplesTest(unittest.TestCase):
    backend, admin_url = "sqlite", None

    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="larder-pyexamples-")
        self.db = servers.ScratchDatabase(self.backend, self.admin_url, self.work)
        self.server = servers.Larder(self.db.url, self.work)
        self.client = larder.LarderClient(self.server.address)
        self.python = installed_python()
        self.state = os.path.join(self.work, "state")

    def tearDown(self):
        self.client.close()
        self.server.stop()
        self.db.drop()
        shutil.rmtree(self.work, ignore_errors=True)

    def run_example(self, script, *args, check=True):
        env = dict(os.environ)
        env.pop("PYTHONPATH", None)  # the installed package, not the test's copy
        result = subprocess.run([self.python, os.path.join(EXAMPLES, script), *args],
                                capture_output=True, text=True, timeout=120, env=env,
                                cwd=self.work)
        if check and result.returncode != 0:
            self.fail(f"{script} {args} exited {result.returncode}:\n{result.stdout}\n"
                      f"{result.stderr}")
        return result

    def definitions(self, edit=None):
        """definitions.json, optionally edited, written to the work dir."""
        with open(DEFINITIONS) as f:
            request = json_format.Parse(f.read(), v1.ApplyBatchRequest())
        if edit:
            edit(request)
        path = os.path.join(self.work, "definitions.json")
        with open(path, "w") as f:
            f.write(json_format.MessageToJson(request))
        return path

    def test_ci_apply_plans_applies_and_is_idempotent(self):
        path = self.definitions()
        plan = self.run_example("ci_apply.py", "--addr", self.server.address, "--dry-run", path)
        self.assertIn("create    feature_view driver_stats", plan.stdout)
        self.assertEqual(self.client.get_server_info().current_revision, 0)
        first = self.run_example("ci_apply.py", "--addr", self.server.address,
                                 "--owner", "team-a", path)
        self.assertIn("applied 4 change(s) on top of revision 0", first.stdout)
        again = self.run_example("ci_apply.py", "--addr", self.server.address,
                                 "--owner", "team-a", path)
        self.assertIn("nothing to apply at revision 4", again.stdout)

        def edit(request):
            request.upserts[1].entity.spec.description = "the driver"
            del request.upserts[3]  # the feature view goes: pruned (team-a created it)
        changed = self.run_example("ci_apply.py", "--addr", self.server.address,
                                   "--owner", "team-a", self.definitions(edit))
        self.assertIn("update    entity driver (v1 -> v2)", changed.stdout)
        self.assertIn("delete    feature_view driver_stats (v1 -> v0)", changed.stdout)
        diff = self.client.diff_revisions(4)
        self.assertEqual(sorted((o.kind, o.effect) for o in diff.objects),
                         [("entity", v1.UPDATED), ("feature_view", v1.DELETED)])

    def test_ci_apply_replans_after_a_conflict(self):
        ci_apply = load_example("ci_apply")
        with open(DEFINITIONS) as f:
            request = json_format.Parse(f.read(), v1.ApplyBatchRequest())
        raced = []

        def other_pipeline(revision):
            if not raced:  # another team commits between our plan and our apply, once
                e = Entity_pb2.Entity()
                e.spec.name, e.spec.project, e.spec.join_key = "rider", "shop", "rider_id"
                self.client.apply_batch("shop", [e], owner="team-b")
                raced.append(revision)

        lines = []
        attempts, response = ci_apply.apply_definitions(
            self.client, request, "team-a", on_planned=other_pipeline, log=lines.append)
        self.assertEqual(attempts, 2)
        # team-b's batch created the project (revision 1) and rider (2).
        self.assertTrue(any("registry moved from 0 to 2" in line for line in lines), lines)
        self.assertEqual([r.effect for r in response.results],
                         [v1.UNCHANGED, v1.CREATED, v1.CREATED, v1.CREATED])
        names = sorted(c.name for c in self.client.iter_changes(0))
        # team-b's rider survived team-a's owner-scoped prune.
        self.assertEqual(names, ["driver", "driver_stats", "driver_stats_source", "rider", "shop"])

    def read_changelog(self):
        path = os.path.join(self.state, "changelog.jsonl")
        if not os.path.exists(path):
            return []
        with open(path) as f:
            return [json.loads(line) for line in f if line.strip()]

    def test_watch_cache_follows_and_resumes_after_kill(self):
        self.run_example("ci_apply.py", "--addr", self.server.address, self.definitions())
        out = self.run_example("watch_cache.py", "--addr", self.server.address, "--state",
                               self.state, "--once", "--heartbeat-seconds", "1")
        self.assertIn("caught up at revision 4: 4 objects", out.stdout)
        # A long-running watcher, killed -9 while changes keep coming.
        env = dict(os.environ)
        env.pop("PYTHONPATH", None)
        proc = subprocess.Popen([self.python, os.path.join(EXAMPLES, "watch_cache.py"),
                                 "--addr", self.server.address, "--state", self.state],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        try:
            e = Entity_pb2.Entity()
            e.spec.name, e.spec.project, e.spec.join_key = "rider", "shop", "rider_id"
            self.client.apply_batch("shop", [e])
            deadline = time.monotonic() + 60
            while len(self.read_changelog()) < 5 and time.monotonic() < deadline:
                time.sleep(0.1)
            self.assertEqual(len(self.read_changelog()), 5)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        self.client.apply_batch("shop", deletes=[("feature_view", "driver_stats")])
        e.spec.description = "renamed"
        self.client.apply_batch("shop", [e])
        out = self.run_example("watch_cache.py", "--addr", self.server.address, "--state",
                               self.state, "--once", "--heartbeat-seconds", "1")
        self.assertIn("caught up at revision 7: 4 objects", out.stdout)
        log = self.read_changelog()
        self.assertEqual([entry["revision"] for entry in log],
                         [c.revision for c in self.client.iter_changes(0)])
        with open(os.path.join(self.state, "cache.json")) as f:
            cache = json.load(f)
        self.assertEqual(cache["revision"], 7)
        self.assertEqual(sorted(cache["objects"]),
                         ["shop/data_source/driver_stats_source", "shop/entity/driver",
                          "shop/entity/rider", "shop/project/shop"])
        self.assertEqual(cache["objects"]["shop/entity/rider"]["object"]["spec"]["description"],
                         "renamed")


if __name__ == "__main__":
    try:
        servers.run_suite([ExamplesTest], sys.argv)
    finally:
        if "dir" in _installed:
            shutil.rmtree(_installed["dir"], ignore_errors=True)
