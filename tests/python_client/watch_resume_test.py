"""LarderClient.watch() resumes without losing or repeating a change: after the watched server
is killed and restarted, and across replicas (several addresses) when one dies.

Usage (via run-python-client-test.sh): watch_resume_test.py LARDER_BINARY
"""
import shutil
import sys
import tempfile
import threading
import unittest

import larder
import servers
from larder.protos.feast.core import Entity_pb2, Project_pb2

WAIT_S = 60


def entity(name, n):
    e = Entity_pb2.Entity()
    e.spec.name, e.spec.project, e.spec.join_key = name, "shop", "id"
    e.spec.description = f"edit {n}"
    return e


class Watcher:
    """A thread that follows `client.watch(after)` and records every change delivered."""

    def __init__(self, client, after=0):
        self.revisions = []
        self.cond = threading.Condition()
        self.error = None
        self.watch = client.watch(after, heartbeat_seconds=1, max_silence=5)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            for change in self.watch:
                with self.cond:
                    self.revisions.append(change.revision)
                    self.cond.notify_all()
        except Exception as e:  # noqa: BLE001 - reported by wait_for
            with self.cond:
                self.error = e
                self.cond.notify_all()

    def wait_for(self, revision):
        with self.cond:
            ok = self.cond.wait_for(
                lambda: self.error or (self.revisions and self.revisions[-1] >= revision),
                timeout=WAIT_S)
        if self.error:
            raise self.error
        if not ok:
            raise AssertionError(f"watcher stuck at {self.revisions[-1:]} waiting for {revision}")

    def stop(self):
        self.watch.close()
        self.thread.join(timeout=10)


class WatchResumeTest(unittest.TestCase):
    backend, admin_url = "sqlite", None

    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="larder-pywatch-")
        self.db = servers.ScratchDatabase(self.backend, self.admin_url, self.work)
        self.live = []

    def tearDown(self):
        for s in self.live:
            s.stop()
        self.db.drop()
        shutil.rmtree(self.work, ignore_errors=True)

    def start(self, port=0):
        s = servers.Larder(self.db.url, self.work, port=port)
        self.live.append(s)
        return s

    def kill(self, server):
        server.kill()
        self.live.remove(server)

    def write(self, server, round_, n=3):
        """n batches of two changes through `server`; returns the revision after them."""
        with larder.LarderClient(server.address) as c:
            for i in range(n):
                c.apply_batch("shop", [entity(f"a{round_}", i), entity(f"b{round_}", i)])
            return c.get_server_info().current_revision

    def all_revisions(self, server):
        with larder.LarderClient(server.address) as c:
            return [ch.revision for ch in c.iter_changes(0)]

    def test_resumes_after_server_killed_and_restarted(self):
        server = self.start()
        with larder.LarderClient(server.address) as c:
            c.apply_batch("shop", [Project_pb2.Project(spec={"name": "shop"})])
        client = larder.LarderClient(server.address, initial_backoff=0.05, max_backoff=0.5)
        watcher = Watcher(client)
        try:
            watcher.wait_for(self.write(server, 1))
            port = server.port
            self.kill(server)
            server = self.start(port)  # same address; changes land before the watcher is back
            last = self.write(server, 2)
            watcher.wait_for(last)
            self.assertEqual(watcher.revisions, self.all_revisions(server))
            self.assertGreaterEqual(watcher.watch.reconnects, 1)
        finally:
            watcher.stop()
            client.close()

    def test_fails_over_across_replicas_and_back(self):
        a, b = self.start(), self.start()
        with larder.LarderClient(a.address) as c:
            c.apply_batch("shop", [Project_pb2.Project(spec={"name": "shop"})])
        client = larder.LarderClient([a.address, b.address], initial_backoff=0.05,
                                     max_backoff=0.5)
        watcher = Watcher(client)
        try:
            watcher.wait_for(self.write(a, 1))
            self.kill(a)  # the watched replica dies: the watch moves to b
            watcher.wait_for(self.write(b, 2))
            a = self.start(a.port)
            self.kill(b)  # and back to the restarted a
            last = self.write(a, 3)
            watcher.wait_for(last)
            self.assertEqual(watcher.revisions, self.all_revisions(a))
            self.assertEqual(len(watcher.revisions), len(set(watcher.revisions)))
        finally:
            watcher.stop()
            client.close()

    def test_saved_revision_resumes_after_watcher_restart(self):
        server = self.start()
        with larder.LarderClient(server.address) as c:
            c.apply_batch("shop", [Project_pb2.Project(spec={"name": "shop"})])
            first = Watcher(c)
            first.wait_for(self.write(server, 1))
            first.stop()
            saved = first.watch.revision  # what a process would persist
            last = self.write(server, 2)
            second = Watcher(c, saved)
            second.wait_for(last)
            second.stop()
            self.assertEqual(first.revisions + second.revisions, self.all_revisions(server))


if __name__ == "__main__":
    servers.run_suite([WatchResumeTest], sys.argv)
