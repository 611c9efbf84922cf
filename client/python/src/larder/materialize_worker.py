"""larder-materialize-worker: leases materialization tasks from Larder and runs them.

    larder-materialize-worker --larder larder:6570 --repo-path /repo [--function mod:callable]

Loop: LeaseTasks(worker, max tasks, lease ttl) -> for each task run the materialize function
while a background thread heartbeats its lease -> CompleteTask (Larder records the range in
the view's materialization_intervals; the worker never writes intervals) or, when the function
raised, FailTask(reason, retryable). SIGTERM/SIGINT: finish the task in hand, report it, lease
nothing more and exit 0. --once: one lease round; --idle-exit N: exit after N seconds with no
work. The default function is Feast's own per-view materialization of the repo's
feature_store.yaml (docs/materialization.md, "Python worker").

A materialize function is `fn(task)` taking a larder.v1 MaterializationTask (project,
feature_view, view_kind, start_time, end_time, ...). Raise NonRetryable to fail the task for
good; any other exception is a retryable failure.
"""
import argparse
import importlib
import logging
import os
import signal
import socket
import sys
import threading
import time

from larder import errors
from larder.materialization import MaterializationClient, to_datetime

log = logging.getLogger("larder.materialize_worker")


class NonRetryable(Exception):
    """Raised by a materialize function when retrying the task cannot help."""


class FeastMaterializer:
    """Feast's own per-view path: the provider's materialize_single_feature_view for the task's
    view and range, with the FeatureStore of `repo_path` (its feature_store.yaml names the
    offline/online stores and, typically, Larder as a remote registry)."""

    def __init__(self, repo_path="."):
        from feast import FeatureStore  # the Feast SDK; imported only when this path is used
        self.store = FeatureStore(repo_path=repo_path)
        self._lock = threading.Lock()

    def _view(self, task):
        registry, project = self.store.registry, task.project
        if task.view_kind == "on_demand_feature_view":
            return registry.get_on_demand_feature_view(task.feature_view, project,
                                                       allow_cache=False)
        if task.view_kind == "stream_feature_view":
            return registry.get_stream_feature_view(task.feature_view, project,
                                                    allow_cache=False)
        return registry.get_feature_view(task.feature_view, project, allow_cache=False)

    def __call__(self, task):
        from tqdm import tqdm  # a dependency of the Feast SDK
        store = self.store
        if task.project != store.project:
            raise NonRetryable(f"task of project {task.project!r}, but the repo's "
                               f"feature_store.yaml is project {store.project!r}")
        with self._lock:  # FeatureStore is not documented as thread-safe
            view = self._view(task)
            store._get_provider().materialize_single_feature_view(
                config=store.config, feature_view=view, start_date=to_datetime(task.start_time),
                end_date=to_datetime(task.end_time), registry=store.registry,
                project=store.project,
                tqdm_builder=lambda length: tqdm(total=length, ncols=100, disable=True))


def load_function(spec: str):
    """`module:callable` -> the callable."""
    module, _, name = spec.partition(":")
    if not module or not name:
        raise ValueError(f"--function wants module:callable, got {spec!r}")
    target = importlib.import_module(module)
    for part in name.split("."):
        target = getattr(target, part)
    return target


class _Heartbeats(threading.Thread):
    """Extends the leases of the tasks the worker holds until stopped."""

    def __init__(self, client, leases, lease_ttl, interval):
        super().__init__(daemon=True, name="larder-heartbeat")
        self.client, self.leases, self.lease_ttl, self.interval = (client, leases, lease_ttl,
                                                                   interval)
        self.lost = set()  # task ids whose lease went to another worker
        self._halt = threading.Event()

    def run(self):
        while not self._halt.wait(self.interval):
            for task_id, lease_id in list(self.leases.items()):
                try:
                    self.client.heartbeat(task_id, lease_id, self.lease_ttl)
                except errors.FailedPrecondition as e:
                    log.warning("lost the lease of task %s: %s", task_id, e.message)
                    self.lost.add(task_id)
                    self.leases.pop(task_id, None)
                except errors.LarderError as e:
                    log.warning("heartbeat of task %s failed: %s", task_id, e)

    def stop(self):
        self._halt.set()
        self.join()


class Worker:
    """The loop; `run()` returns the number of tasks completed."""

    def __init__(self, client, function, *, worker_id=None, max_tasks=1, lease_ttl=60.0,
                 heartbeat_interval=None, poll_interval=2.0, once=False, idle_exit=None,
                 project="", job_id=""):
        self.client, self.function = client, function
        self.worker_id = worker_id or f"{socket.gethostname()}-{os.getpid()}"
        self.max_tasks, self.lease_ttl = max_tasks, lease_ttl
        self.heartbeat_interval = heartbeat_interval or max(0.2, lease_ttl / 3)
        self.poll_interval, self.once, self.idle_exit = poll_interval, once, idle_exit
        self.project, self.job_id = project, job_id
        self.stopping = threading.Event()
        self.completed = self.failed = 0

    def stop(self, *_):
        """Asks the loop to stop after the task in hand (signal-handler compatible)."""
        self.stopping.set()

    def run(self) -> int:
        idle_since = time.monotonic()
        while not self.stopping.is_set():
            try:
                tasks = self.client.lease(self.worker_id, self.max_tasks, self.lease_ttl,
                                          project=self.project, job_id=self.job_id)
            except errors.LarderError as e:
                log.warning("lease failed: %s", e)
                tasks = []
            if tasks:
                self._work(tasks)
                idle_since = time.monotonic()
            if self.once:
                break
            if not tasks:
                if self.idle_exit is not None and time.monotonic() - idle_since >= self.idle_exit:
                    log.info("no work for %.0f s; exiting", self.idle_exit)
                    break
                self.stopping.wait(self.poll_interval)
        return self.completed

    def _work(self, tasks):
        leases = {t.task_id: t.lease_id for t in tasks}
        beats = _Heartbeats(self.client, leases, self.lease_ttl, self.heartbeat_interval)
        beats.start()
        try:
            for i, task in enumerate(tasks):
                if self.stopping.is_set():
                    # Hand the tasks not started back at once rather than at lease expiry.
                    for rest in tasks[i:]:
                        leases.pop(rest.task_id, None)
                        self._report_failure(rest, "worker stopping before start", True)
                    return
                self._run_one(task, beats)
                leases.pop(task.task_id, None)
        finally:
            beats.stop()

    def _run_one(self, task, beats):
        what = (f"{task.project}/{task.feature_view} [{to_datetime(task.start_time)}, "
                f"{to_datetime(task.end_time)}) task {task.task_id}")
        log.info("materializing %s (attempt %d)", what, task.attempts)
        try:
            self.function(task)
        except Exception as e:  # noqa: BLE001 - any failure of the function is reported
            retryable = not isinstance(e, NonRetryable)
            log.warning("task %s failed: %s", task.task_id, e)
            self._report_failure(task, f"{type(e).__name__}: {e}", retryable)
            return
        if task.task_id in beats.lost:
            log.warning("task %s finished after its lease was lost; not completing", what)
            return
        try:
            self.client.complete(task.task_id, task.lease_id)
            self.completed += 1
            log.info("completed %s", what)
        except errors.LarderError as e:
            log.warning("completing task %s refused: %s", task.task_id, e)

    def _report_failure(self, task, reason, retryable):
        self.failed += 1
        try:
            self.client.fail(task.task_id, task.lease_id, reason[:2000], retryable)
        except errors.LarderError as e:
            log.warning("reporting the failure of task %s failed: %s", task.task_id, e)


def _parser():
    p = argparse.ArgumentParser(prog="larder-materialize-worker", description=__doc__.split(
        "\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    env = os.environ.get
    p.add_argument("--larder", default=env("LARDER_ADDRESS", "localhost:6570"),
                   help="host:port of Larder (comma-separated replicas; env LARDER_ADDRESS)")
    p.add_argument("--token", default=env("LARDER_TOKEN"), help="bearer token (env LARDER_TOKEN)")
    # larderctl's TLS flags; unset ones come from LARDER_TLS, LARDER_CA_FILE, ... (LarderClient).
    p.add_argument("--tls", action="store_true", default=None,
                   help="connect with TLS (system roots unless --ca-file; env LARDER_TLS)")
    p.add_argument("--ca-file", help="PEM roots to verify Larder with (env LARDER_CA_FILE)")
    p.add_argument("--cert-file", help="PEM client certificate, mutual TLS (env LARDER_CERT_FILE)")
    p.add_argument("--key-file", help="its PEM key (env LARDER_KEY_FILE)")
    p.add_argument("--server-name", help="name Larder's certificate carries, when not the "
                   "address (env LARDER_SERVER_NAME)")
    p.add_argument("--worker-id", default=env("LARDER_WORKER_ID"),
                   help="name in leases and job progress (default: hostname-pid)")
    p.add_argument("--max-tasks", type=int, default=1, help="tasks per lease (default 1)")
    p.add_argument("--lease-ttl", type=float, default=60.0, help="lease seconds (default 60)")
    p.add_argument("--heartbeat-interval", type=float, help="seconds (default lease-ttl/3)")
    p.add_argument("--poll-interval", type=float, default=2.0,
                   help="seconds between lease attempts when there is no work (default 2)")
    p.add_argument("--project", default="", help="only tasks of this project")
    p.add_argument("--job-id", default="", help="only tasks of this job")
    p.add_argument("--repo-path", default=env("FEAST_REPO_PATH", "."),
                   help="Feast repo with feature_store.yaml (default function; env FEAST_REPO_PATH)")
    p.add_argument("--function", help="module:callable run as fn(task) instead of Feast's path")
    p.add_argument("--once", action="store_true", help="one lease round, then exit")
    p.add_argument("--idle-exit", type=float, help="exit after this many seconds without work")
    p.add_argument("--log-level", default="INFO")
    return p


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    function = load_function(args.function) if args.function else FeastMaterializer(
        args.repo_path)
    client = MaterializationClient(args.larder, token=args.token, tls=args.tls,
                                   ca_file=args.ca_file, cert_file=args.cert_file,
                                   key_file=args.key_file, server_name=args.server_name)
    worker = Worker(client, function, worker_id=args.worker_id, max_tasks=args.max_tasks,
                    lease_ttl=args.lease_ttl, heartbeat_interval=args.heartbeat_interval,
                    poll_interval=args.poll_interval, once=args.once, idle_exit=args.idle_exit,
                    project=args.project, job_id=args.job_id)
    signal.signal(signal.SIGTERM, worker.stop)
    signal.signal(signal.SIGINT, worker.stop)
    with client:
        worker.run()
    log.info("stopped: %d completed, %d failed", worker.completed, worker.failed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
