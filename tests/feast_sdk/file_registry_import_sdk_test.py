"""docs/cli.md "Moving from Feast's file registry", done with the unchanged Feast SDK (v0.66.0):
`feast apply` and `feast materialize` into a file registry, `larderctl import --dry-run`, import,
switch feature_store.yaml to `registry_type: remote`, and Feast then sees the same registry
(timestamps, infra and materialization state included; docs/cli.md lists the exceptions).

Usage: file_registry_import_sdk_test.py LARDER_BINARY LARDERCTL_BINARY
Runs on SQLite. Prints "SKIPPED: ..." and exits 0 when the Feast SDK cannot be imported.
"""
import json
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
    from feast import FeatureStore  # noqa: F401 (the SDK under test)
except Exception as e:  # noqa: BLE001 - any import failure means "no SDK here"
    print(f"SKIPPED: the Feast SDK v0.66.0 is not importable here ({e}); "
          "see ../shared/feast-sdk or `pip install feast==0.66.0`")
    sys.exit(0)

LARDER = LARDERCTL = None  # set from argv

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

# Feast's registry.to_dict of the project, as JSON, through whatever registry the yaml names.
DUMP = ("import json; from feast import FeatureStore; "
        "print(json.dumps(FeatureStore(repo_path='.').registry.to_dict('shop'), sort_keys=True))")


def comparable(dump: dict, before: dict) -> dict:
    """docs/cli.md: everything survives the move, timestamps and infra included. The one
    exception: when the file registry has no project_metadata for the project (what `feast
    apply` on a file registry writes), Larder gives the project a UUID of its own."""
    if not before.get("projectMetadata"):
        return {k: v for k, v in dump.items() if k != "projectMetadata"}
    return dump


class FileRegistryMigration(unittest.TestCase):
    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="larder-migrate-")
        self.repo = os.path.join(self.work, "repo")
        os.makedirs(self.repo)
        csv = os.path.join(self.work, "driver_stats.csv")
        with open(csv, "w") as f:
            f.write("driver_id,event_timestamp,conv_rate,trips\n"
                    "1001,2026-01-01 00:00:00,0.5,10\n")
        self.file_registry = os.path.join(self.work, "registry.db")
        self.write_yaml("registry_type: file", f"path: {self.file_registry}")
        with open(os.path.join(self.repo, "repo.py"), "w") as f:
            f.write(REPO_PY.format(csv=csv))
        self.log = open(os.path.join(self.work, "larder.log"), "w+")
        self.larder = subprocess.Popen(
            [LARDER, "serve", f"--db=sqlite:///{os.path.join(self.work, 'larder.db')}",
             "--migrate", "--addr=127.0.0.1:0", "--http-addr="],
            stdout=subprocess.PIPE, stderr=self.log, text=True, cwd=self.work)
        line = self.larder.stdout.readline()
        m = re.search(r"serving .* on 127\.0\.0\.1:(\d+)", line)
        if not m:
            self.fail(f"larder did not start: {line!r}")
        self.address = f"127.0.0.1:{m.group(1)}"

    def tearDown(self):
        self.larder.send_signal(signal.SIGTERM)
        self.larder.wait(timeout=30)
        self.larder.stdout.close()
        self.log.close()
        shutil.rmtree(self.work, ignore_errors=True)

    def write_yaml(self, registry_type: str, path: str):
        with open(os.path.join(self.repo, "feature_store.yaml"), "w") as f:
            f.write(textwrap.dedent(f"""\
                project: shop
                provider: local
                registry:
                  {registry_type}
                  {path}
                online_store:
                  type: sqlite
                  path: {os.path.join(self.work, 'online.db')}
                offline_store:
                  type: feast_peer_kit.offline.PandasFileOfflineStore
                batch_engine:
                  type: feast_peer_kit.engine.PandasComputeEngine
                entity_key_serialization_version: 3
                """))

    def run_in_repo(self, *args):
        result = subprocess.run(list(args), cwd=self.repo, capture_output=True, text=True,
                                timeout=300)
        if result.returncode != 0:
            self.fail(f"{' '.join(args)} failed ({result.returncode}):\n"
                      f"{result.stdout}\n{result.stderr}")
        return result.stdout

    def ctl(self, *args):
        return subprocess.run([LARDERCTL, "--addr", self.address, *args], capture_output=True,
                              text=True, timeout=120)

    def test_guide(self):
        self.run_in_repo("feast", "apply")
        self.run_in_repo("feast", "materialize", "2025-12-31T00:00:00", "2026-01-02T00:00:00")
        before = json.loads(self.run_in_repo(sys.executable, "-P", "-c", DUMP))
        self.assertEqual([v["spec"]["name"] for v in before["featureViews"]], ["driver_stats"])

        r = self.ctl("import", self.file_registry, "--dry-run", "--detailed-exitcode")
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("shop     feature_view          driver_stats         would create", r.stdout)
        self.assertIn("Dry run: nothing was written. 6 objects in 1 project.", r.stdout)
        # Feast's infra (the online store's table) and the view's saved version 0 come along.
        self.assertRegex(r.stdout, r"shop +infra +infra_obj +would create")
        self.assertRegex(r.stdout, r"shop +feature_view_version +driver_stats v0 +would create")
        r = self.ctl("import", self.file_registry)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("6 objects in 1 project.", r.stdout)
        r = self.ctl("import", self.file_registry)
        self.assertIn("nothing to change", r.stdout)

        self.write_yaml("registry_type: remote", f"path: {self.address}")
        after = json.loads(self.run_in_repo(sys.executable, "-P", "-c", DUMP))
        self.assertTrue(before["infra"], "the file registry has infra to carry over")
        self.assertEqual(comparable(after, before), comparable(before, before))
        listed = self.run_in_repo("feast", "feature-views", "list")
        self.assertRegex(listed, r"driver_stats\s+\{'driver'\}\s+FeatureView\s+Yes\s+"
                                 r"AVAILABLE_ONLINE")
        self.assertIn("driver_stats:conv_rate, driver_stats:trips",
                      self.run_in_repo("feast", "feature-services", "list"))

        # Going back: export, and Feast's file registry reads it.
        exported = os.path.join(self.work, "exported.db")
        r = self.ctl("export", "-o", exported)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.write_yaml("registry_type: file", f"path: {exported}")
        back = json.loads(self.run_in_repo(sys.executable, "-P", "-c", DUMP))
        self.assertEqual(comparable(back, before), comparable(before, before))
        # Larder's UUID (when it made one) goes back with the export.
        self.assertEqual(back["projectMetadata"], after["projectMetadata"])


if __name__ == "__main__":
    LARDER, LARDERCTL = sys.argv[1], sys.argv[2]
    unittest.main(argv=sys.argv[:1], verbosity=2)
