"""The Python client (client/python, package `larder`) against the real larder binary: every
LarderClient method, the typed errors, bearer tokens, request ids and retries.

Usage (via run-python-client-test.sh): client_test.py LARDER_BINARY
Runs on SQLite, and on PostgreSQL / MariaDB when their admin URLs are set (servers.py).
"""
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

import larder
import servers
from larder import v1
from larder.protos.feast.core import (DataSource_pb2, Entity_pb2, FeatureView_pb2, Permission_pb2,
                                     Project_pb2)


def entity(name, description=""):
    e = Entity_pb2.Entity()
    e.spec.name, e.spec.project, e.spec.join_key = name, "shop", f"{name}_id"
    e.spec.description = description
    return e


def source(name):
    s = DataSource_pb2.DataSource(name=name, project="shop", timestamp_field="ts")
    s.type = DataSource_pb2.DataSource.BATCH_FILE
    s.file_options.uri = f"s3://bucket/{name}.parquet"
    return s


def view(name, source_name, entity_name):
    v = FeatureView_pb2.FeatureView()
    v.spec.name, v.spec.project = name, "shop"
    v.spec.entities.append(entity_name)
    v.spec.batch_source.CopyFrom(source(source_name))
    f = v.spec.features.add()
    f.name = "rate"
    return v


def project(name):
    p = Project_pb2.Project()
    p.spec.name = name
    return p


class ClientTest(unittest.TestCase):
    backend, admin_url = "sqlite", None
    server_args = ()

    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="larder-pyclient-")
        self.db = servers.ScratchDatabase(self.backend, self.admin_url, self.work)
        self.server = servers.Larder(self.db.url, self.work, extra_args=self.server_args)
        self.client = larder.LarderClient(self.server.address, deadline=20)

    def tearDown(self):
        self.client.close()
        self.server.stop()
        self.db.drop()
        shutil.rmtree(self.work, ignore_errors=True)

    def apply_base(self):
        return self.client.apply_batch(
            "shop", [project("shop"), entity("driver"), source("trips"),
                     view("stats", "trips", "driver")])

    def test_server_info_names_backend_and_revision(self):
        info = self.client.get_server_info()
        self.assertEqual(info.backend, {"sqlite": "sqlite", "postgres": "postgres",
                                        "mysql": "mysql"}[self.backend])
        self.assertEqual(info.current_revision, 0)
        self.assertGreater(info.schema_version, 0)
        self.assertTrue(info.server_version)
        self.apply_base()
        self.assertEqual(self.client.get_server_info().current_revision, 4)

    def test_dry_run_equals_real_run_and_writes_nothing(self):
        batch = ["shop", [project("shop"), entity("driver"), source("trips")]]
        dry = self.client.apply_batch(*batch, dry_run=True)
        self.assertTrue(dry.dry_run)
        self.assertEqual(self.client.get_server_info().current_revision, 0)
        real = self.client.apply_batch(*batch)
        self.assertEqual([(r.kind, r.name, r.effect, r.old_version, r.new_version)
                          for r in dry.results],
                         [(r.kind, r.name, r.effect, r.old_version, r.new_version)
                          for r in real.results])
        self.assertEqual([r.effect for r in real.results], [v1.CREATED] * 3)

    def test_same_request_id_is_applied_once(self):
        self.apply_base()
        first = self.client.apply_batch("shop", [entity("driver", "v2")], request_id="ci-42")
        again = self.client.apply_batch("shop", [entity("driver", "v2")], request_id="ci-42")
        self.assertFalse(first.already_applied)
        self.assertTrue(again.already_applied)
        history = self.client.get_object_history("shop", "entity", "driver")
        self.assertEqual([c.operation for c in history], ["create", "update"])
        self.assertEqual(history[-1].request_id, "ci-42")

    def test_expected_revision_conflict_is_typed(self):
        self.apply_base()
        with self.assertRaises(larder.RevisionConflict) as caught:
            self.client.apply_batch("shop", [entity("rider")], expected_revision=2)
        e = caught.exception
        self.assertIsInstance(e, larder.FailedPrecondition)
        self.assertEqual((e.expected_revision, e.actual_revision), (2, 4))
        self.assertTrue(e.request_id)
        self.assertEqual(self.client.get_server_info().current_revision, 4)  # nothing applied
        ok = self.client.apply_batch("shop", [entity("rider")], expected_revision=4)
        self.assertEqual(ok.results[0].effect, v1.CREATED)

    def test_version_conflict_lists_every_object(self):
        self.apply_base()
        with self.assertRaises(larder.VersionConflict) as caught:
            self.client.apply_batch(
                "shop", [(entity("driver", "x"), 7), (entity("rider"), 0), (source("trips"), 0)],
                deletes=[("feature_view", "stats", 3)])
        got = sorted((c.kind, c.name, c.expected_version, c.actual_version)
                     for c in caught.exception.conflicts)
        self.assertEqual(got, [("data_source", "trips", 0, 1), ("entity", "driver", 7, 1),
                               ("feature_view", "stats", 3, 1)])
        self.assertEqual(self.client.get_server_info().current_revision, 4)

    def test_deletes_and_prune_with_and_without_owner(self):
        self.client.apply_batch("shop", [project("shop")])
        self.client.apply_batch("shop", [entity("a1"), entity("a2")], owner="team-a")
        self.client.apply_batch("shop", [entity("b1")], owner="team-b")
        # team-a re-applies without a2: only a2 goes; team-b's b1 stays.
        pruned = self.client.apply_batch("shop", [entity("a1")], prune=True, owner="team-a")
        self.assertEqual([(r.name, r.effect) for r in pruned.results],
                         [("a1", v1.UNCHANGED), ("a2", v1.DELETED)])
        # Without an owner, prune deletes everything not in the batch.
        everything = self.client.apply_batch("shop", [entity("a1")], prune=True)
        self.assertEqual([(r.name, r.effect) for r in everything.results],
                         [("a1", v1.UNCHANGED), ("b1", v1.DELETED)])
        deleted = self.client.apply_batch("shop", deletes=[larder.delete("entity", "a1", 1)])
        self.assertEqual((deleted.results[0].effect, deleted.results[0].old_version),
                         (v1.DELETED, 1))

    def test_list_changes_pages_and_filters(self):
        self.apply_base()
        self.client.apply_batch("shop", [entity("driver", "v2")])
        page = self.client.list_changes(0, limit=2)
        self.assertEqual([c.revision for c in page.changes], [1, 2])
        self.assertEqual(page.next_after_revision, 2)
        self.assertEqual([c.revision for c in self.client.iter_changes(0, page_size=2)],
                         [1, 2, 3, 4, 5])
        only = self.client.list_changes(0, kind="entity", name="driver")
        self.assertEqual([(c.revision, c.operation) for c in only.changes],
                         [(2, "create"), (5, "update")])
        self.assertEqual(larder.decode_object(only.changes[-1]).spec.description, "v2")

    def test_history_registry_at_and_diff(self):
        self.apply_base()
        self.client.apply_batch("shop", [entity("driver", "v2"), entity("rider")],
                                deletes=[("feature_view", "stats")])
        history = self.client.get_object_history("shop", "entity", "driver")
        self.assertEqual([(c.revision, c.object_version) for c in history], [(2, 1), (5, 2)])
        at4 = self.client.get_registry_at(4, "shop")
        self.assertEqual(sorted(e.spec.name for e in at4.entities), ["driver"])
        self.assertEqual([e.spec.description for e in at4.entities], [""])
        self.assertEqual([v.spec.name for v in at4.feature_views], ["stats"])
        now = self.client.get_registry_at(self.client.get_server_info().current_revision, "shop")
        self.assertEqual(sorted(e.spec.name for e in now.entities), ["driver", "rider"])
        self.assertEqual(list(now.feature_views), [])
        diff = self.client.diff_revisions(4)
        self.assertEqual(sorted((o.kind, o.name, o.effect, o.from_version, o.to_version)
                                for o in diff.objects),
                         [("entity", "driver", v1.UPDATED, 1, 2),
                          ("entity", "rider", v1.CREATED, 0, 1),
                          ("feature_view", "stats", v1.DELETED, 1, 0)])
        self.assertEqual(diff.to_revision, 7)

    def test_watch_delivers_backlog_then_heartbeat(self):
        self.apply_base()
        seen = []
        with self.client.watch(1, heartbeats=True, heartbeat_seconds=1) as w:
            for event in w:
                seen.append(event)
                if isinstance(event, v1.Heartbeat):
                    break
        self.assertEqual([e.revision for e in seen[:-1]], [2, 3, 4])
        self.assertEqual(seen[-1].revision, 4)
        self.assertEqual(w.revision, 4)

    def test_typed_errors(self):
        with self.assertRaises(larder.InvalidArgument):
            self.client.apply_batch("shop", deletes=[("no_such_kind", "x")])
        with self.assertRaises(larder.NotFound):
            self.client.apply_batch("shop", deletes=[("feature_view", "missing")])
        with self.assertRaises(TypeError):
            larder.upsert(v1.Change())

    def test_unreachable_replica_fails_over(self):
        # The first address refuses connections; the client moves on and stays there.
        dead = servers.Larder(self.db.url, self.work)
        dead_address = dead.address
        dead.kill()
        client = larder.LarderClient([dead_address, self.server.address], initial_backoff=0.01)
        try:
            self.assertEqual(client.get_server_info().current_revision, 0)
            self.assertEqual(client.current_address, self.server.address)
        finally:
            client.close()
        single = larder.LarderClient(dead_address, max_attempts=2, initial_backoff=0.01)
        with self.assertRaises(larder.Unavailable):
            single.get_server_info()
        single.close()


class AuthTest(unittest.TestCase):
    backend, admin_url = "sqlite", None

    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="larder-pyclient-auth-")
        tokens = os.path.join(self.work, "tokens")
        with open(tokens, "w") as f:
            f.write("s3cret-token-for-ci alice roles=admin\n")
        self.db = servers.ScratchDatabase(self.backend, self.admin_url, self.work)
        self.server = servers.Larder(self.db.url, self.work, extra_args=[f"--auth-tokens={tokens}"])

    def tearDown(self):
        self.server.stop()
        self.db.drop()
        shutil.rmtree(self.work, ignore_errors=True)

    def test_bearer_token_and_actor(self):
        with larder.LarderClient(self.server.address) as anonymous:
            with self.assertRaises(larder.Unauthenticated):
                anonymous.get_server_info()
        with larder.LarderClient(self.server.address, token="wrong") as wrong:
            with self.assertRaises(larder.Unauthenticated):
                wrong.apply_batch("shop", [project("shop")])
        calls = []

        def provider():
            calls.append(1)
            return "s3cret-token-for-ci"

        with larder.LarderClient(self.server.address, token_provider=provider) as client:
            client.apply_batch("shop", [project("shop"), entity("driver")])
            history = client.get_object_history("shop", "entity", "driver")
            self.assertEqual(history[0].actor, "alice")
        self.assertEqual(len(calls), 2)


class PermissionTest(unittest.TestCase):
    """Feast Permission objects seen through the client: a reader without the role gets
    PermissionDenied for a batch touching a protected object (nothing of the batch applied),
    and the change feed, history and as-of reads leave out what it may not DESCRIBE."""
    backend, admin_url = "sqlite", None

    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="larder-pyclient-perm-")
        tokens = os.path.join(self.work, "tokens")
        with open(tokens, "w") as f:
            f.write("tok-admin admin roles=admin\ntok-reader reader roles=reader\n")
        self.db = servers.ScratchDatabase(self.backend, self.admin_url, self.work)
        self.server = servers.Larder(self.db.url, self.work,
                                     extra_args=[f"--auth-tokens={tokens}"])
        self.admin = larder.LarderClient(self.server.address, token="tok-admin")
        self.reader = larder.LarderClient(self.server.address, token="tok-reader")

    def tearDown(self):
        self.admin.close()
        self.reader.close()
        self.server.stop()
        self.db.drop()
        shutil.rmtree(self.work, ignore_errors=True)

    def test_reader_is_denied_and_filtered(self):
        def permission(name, roles, types, patterns):
            p = Permission_pb2.Permission()
            p.spec.name, p.spec.project = name, "shop"
            p.spec.types.extend(types)
            p.spec.name_patterns.extend(patterns)
            p.spec.actions.extend(range(8))  # every action
            p.spec.policy.role_based_policy.roles.extend(roles)
            return p

        # Feast's rules: every matching permission must grant; with name patterns, a denied
        # object is left out of reads (without them, reads fail).
        spec = Permission_pb2.PermissionSpec
        # (In batch order: each write is checked against the permissions written before it.)
        perms = [permission("permissions", ["admin"], [spec.PERMISSION], [".*"]),
                 permission("projects", ["admin", "reader"], [spec.PROJECT], [".*"]),
                 permission("secrets", ["admin"], [spec.ENTITY], ["secret.*"]),
                 permission("public", ["admin", "reader"], [spec.ENTITY], ["public.*"])]
        self.admin.apply_batch("shop", [project("shop"), *perms, entity("secret_salary"),
                                        entity("public_driver")])
        before = self.admin.get_server_info().current_revision

        with self.assertRaises(larder.PermissionDenied) as caught:
            self.reader.apply_batch("shop", [entity("public_driver", "x"),
                                             entity("secret_salary", "x")])
        self.assertEqual(caught.exception.feast_class, "FeastPermissionError")
        self.assertIn("secret_salary", caught.exception.message)
        self.assertEqual(self.admin.get_server_info().current_revision, before)
        self.reader.apply_batch("shop", [entity("public_driver", "y")])  # its own part is fine
        before = self.admin.get_server_info().current_revision

        seen = [c.name for c in self.reader.iter_changes(0)]
        self.assertIn("public_driver", seen)
        self.assertNotIn("secret_salary", seen)
        self.assertIn("secret_salary", [c.name for c in self.admin.iter_changes(0)])
        self.assertEqual(self.reader.get_object_history("shop", "entity", "secret_salary"), [])
        at = self.reader.get_registry_at(before, "shop")
        self.assertEqual([e.spec.name for e in at.entities], ["public_driver"])
        with self.reader.watch(0, heartbeats=True, heartbeat_seconds=1) as w:
            names = []
            for event in w:
                if isinstance(event, v1.Heartbeat):
                    break
                names.append(event.name)
        self.assertNotIn("secret_salary", names)
        self.assertIn("public_driver", names)


class RetentionTest(unittest.TestCase):
    """History retention seen through the client: a compacted revision is RevisionCompacted for
    watch, list_changes and get_registry_at; the horizon is in get_server_info; the example
    cache rebuilds itself from get_registry_at and carries on. Server time comes from a clock
    file, so "two hours later" takes no waiting."""
    backend, admin_url = "sqlite", None

    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="larder-pyclient-retention-")
        self.clock = os.path.join(self.work, "clock")
        self.now = 1_800_000_000_000_000
        self.set_clock(self.now)
        self.db = servers.ScratchDatabase(self.backend, self.admin_url, self.work)
        self.server = servers.Larder(self.db.url, self.work, extra_args=[
            f"--clock-file={self.clock}", "--history-retention=1h",
            "--history-compact-interval-s=1"])
        self.client = larder.LarderClient(self.server.address)

    def tearDown(self):
        self.client.close()
        self.server.stop()
        self.db.drop()
        shutil.rmtree(self.work, ignore_errors=True)

    def set_clock(self, micros):
        tmp = self.clock + ".tmp"
        with open(tmp, "w") as f:
            f.write(str(micros))
        os.replace(tmp, self.clock)

    def test_compacted_revisions_are_typed_and_the_cache_rebuilds(self):
        self.client.apply_batch("shop", [project("shop"), entity("a"), entity("b")])  # 1-3
        self.client.apply_batch("shop", [entity("a", "v2")])                          # 4
        self.client.apply_batch("shop", [entity("a", "v3")])                          # 5
        self.set_clock(self.now + 2 * 3600 * 10**6)  # two hours later
        self.client.apply_batch("shop", [entity("c")])                                # 6
        deadline = time.monotonic() + 60
        while (self.client.get_server_info().retained_after_revision == 0
               and time.monotonic() < deadline):
            time.sleep(0.2)  # the server compacts on its own schedule (every 2 s here)
        horizon = self.client.get_server_info().retained_after_revision
        self.assertEqual(horizon, 5)
        with self.assertRaises(larder.RevisionCompacted) as caught:
            self.client.list_changes(0)
        self.assertIn("re-list", caught.exception.message)
        with self.assertRaises(larder.RevisionCompacted):
            for _ in self.client.watch(1):
                pass
        with self.assertRaises(larder.RevisionCompacted):
            self.client.get_registry_at(3)
        at5 = self.client.get_registry_at(5, "shop")
        self.assertEqual({e.spec.name: e.spec.description for e in at5.entities},
                         {"a": "v3", "b": ""})
        self.assertEqual([c.object_version for c in
                          self.client.get_object_history("shop", "entity", "a")], [3])

        root = os.environ.get("LARDER_REPO_ROOT", os.path.join(os.path.dirname(__file__),
                                                                "..", ".."))
        spec = importlib.util.spec_from_file_location(
            "watch_cache", os.path.join(root, "client", "python", "examples", "watch_cache.py"))
        watch_cache = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(watch_cache)
        cache = watch_cache.Cache(os.path.join(self.work, "state"))
        lines = []
        revision = watch_cache.follow(self.client, cache, once=True, heartbeat_seconds=1,
                                      log=lines.append)
        self.assertEqual(revision, 6)
        self.assertTrue(any("compacted" in line for line in lines), lines)
        self.assertEqual(sorted(cache.objects), ["shop/entity/a", "shop/entity/b",
                                                 "shop/entity/c", "shop/project/shop"])


class FeastSdkCoexistenceTest(unittest.TestCase):
    """With the Feast SDK installed, `import larder` and `import feast` work in one process in
    either order and the client takes the SDK's own protos (one protobuf pool per process:
    two compilations of feast/core/*.proto cannot both load). Skipped without the SDK (found
    as tests/feast_sdk/run-sdk-test.sh finds it)."""
    backend, admin_url = "sqlite", None

    def setUp(self):
        root = os.environ.get("LARDER_REPO_ROOT", os.path.join(os.path.dirname(__file__),
                                                                "..", ".."))
        sdk = os.environ.get("LARDER_FEAST_SDK_DIR",
                             os.path.join(root, "..", "shared", "feast-sdk"))
        if not os.path.exists(os.path.join(sdk, "env.sh")):
            self.skipTest("the Feast SDK is not available here")
        self.sdk = sdk
        self.work = tempfile.mkdtemp(prefix="larder-pyclient-feast-")
        self.db = servers.ScratchDatabase(self.backend, self.admin_url, self.work)
        self.server = servers.Larder(self.db.url, self.work)

    def tearDown(self):
        self.server.stop()
        self.db.drop()
        shutil.rmtree(self.work, ignore_errors=True)

    def run_with_sdk(self, code):
        script = (f". {self.sdk}/env.sh && PYTHONPATH=\"$PYTHONPATH:{os.pathsep.join(sys.path)}\" "
                  f"exec {sys.executable} -c \"$0\"")
        result = subprocess.run(["bash", "-c", script, code], capture_output=True, text=True,
                                timeout=300)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        return result.stdout

    def test_larder_then_feast_and_sdk_objects_apply(self):
        out = self.run_with_sdk(f"""
import larder
from feast import Entity, Project
print(larder.source_of_feast_protos())
client = larder.LarderClient({self.server.address!r})
driver = Entity(name="driver", join_keys=["driver_id"])
driver.project = "shop"
proto = driver.to_proto()
proto.spec.project = "shop"
r = client.apply_batch("shop", [Project(name="shop").to_proto(), proto])
print([x.effect for x in r.results])
from feast.protos.feast.core.Entity_pb2 import Entity as SdkEntity
print(type(client.get_registry_at(2).entities[0]) is SdkEntity)
""")
        self.assertEqual(out.split(), ["feast-sdk", "[1,", "1]", "True"])

    def test_feast_then_larder(self):
        out = self.run_with_sdk("""
import feast
import larder
from larder.protos.feast.core import Entity_pb2
print(Entity_pb2.__name__)
""")
        self.assertEqual(out.split(), ["feast.protos.feast.core.Entity_pb2"])


if __name__ == "__main__":
    servers.run_suite([ClientTest, AuthTest, PermissionTest, RetentionTest], sys.argv, once=[FeastSdkCoexistenceTest])
