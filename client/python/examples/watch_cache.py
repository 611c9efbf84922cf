#!/usr/bin/env python3
"""A process that keeps a local copy of the registry up to date from Larder's change feed, and
an append-only changelog, and carries on after its own restart from where it stopped.

    watch_cache.py --addr r1:6570,r2:6570 --state ./cache-state [--project shop] [--once]

State directory:
  cache.json      {"revision": R, "objects": {"project/kind/name": {...}}}: every object as of
                  revision R (each with its version, the revision of its last change and the
                  Feast message as JSON). Written atomically (rename), so it is never torn.
  changelog.jsonl one line per change delivered (revision, operation, object, actor, time,
                  request id); never a revision twice, even across crashes.

Why it never loses or repeats a change: the watch resumes from the last revision it delivered
after any disconnect, server restart or failover (the client does that); after a restart of
this process it resumes from the revision saved in cache.json. If the server compacted its log
past that revision (history retention), the cache is rebuilt from GetRegistryAt at the current
revision and watching continues from there.
--once: stop as soon as the cache is caught up (the first heartbeat), e.g. in a cron job.
"""
import argparse
import json
import os
import sys

from google.protobuf import json_format

import larder
from larder import v1

# The Registry message's repeated field of each kind (for rebuilding from GetRegistryAt).
REGISTRY_FIELDS = {
    "entity": "entities", "data_source": "data_sources", "feature_view": "feature_views",
    "stream_feature_view": "stream_feature_views",
    "on_demand_feature_view": "on_demand_feature_views", "label_view": "label_views",
    "feature_service": "feature_services", "saved_dataset": "saved_datasets",
    "validation_reference": "validation_references", "permission": "permissions",
    "project": "projects",
}


class Cache:
    def __init__(self, state_dir):
        self.dir = state_dir
        os.makedirs(state_dir, exist_ok=True)
        self.path = os.path.join(state_dir, "cache.json")
        self.log_path = os.path.join(state_dir, "changelog.jsonl")
        self.revision = None  # None: no state yet
        self.objects = {}
        if os.path.exists(self.path):
            with open(self.path) as f:
                state = json.load(f)
            self.revision, self.objects = state["revision"], state["objects"]
        self.logged = self._last_logged_revision()

    def _last_logged_revision(self):
        last = 0
        if os.path.exists(self.log_path):
            with open(self.log_path) as f:
                for line in f:
                    if line.strip():
                        last = max(last, json.loads(line)["revision"])
        return last

    def apply(self, change):
        key = f"{change.project}/{change.kind}/{change.name}"
        if change.operation == "delete":
            self.objects.pop(key, None)
        else:
            self.objects[key] = {
                "version": change.object_version, "revision": change.revision,
                "object": json_format.MessageToDict(larder.decode_object(change)),
            }
        if change.revision > self.logged:  # a change re-read after a crash is logged once
            with open(self.log_path, "a") as f:
                f.write(json.dumps({
                    "revision": change.revision, "operation": change.operation,
                    "project": change.project, "kind": change.kind, "name": change.name,
                    "version": change.object_version, "actor": change.actor,
                    "request_id": change.request_id,
                    "changed_at": change.changed_at.ToJsonString(),
                }) + "\n")
            self.logged = change.revision
        self.revision = change.revision

    def rebuild(self, registry, revision):
        """Replaces the cache with `registry` (a feast.core.Registry) as of `revision`."""
        self.objects = {}
        for kind, field in REGISTRY_FIELDS.items():
            for obj in getattr(registry, field):
                spec = obj.spec if hasattr(obj, "spec") and obj.HasField("spec") else obj
                name = getattr(spec, "name", "")
                # A project's own entries are filed under itself, as in the change log.
                project = name if kind == "project" else getattr(spec, "project", "")
                self.objects[f"{project}/{kind}/{name}"] = {
                    "version": None, "revision": None,
                    "object": json_format.MessageToDict(obj)}
        self.revision = revision

    def save(self, revision=None):
        if revision is not None:
            self.revision = revision
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"revision": self.revision, "objects": self.objects}, f, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)


def follow(client, cache, project="", once=False, heartbeat_seconds=2, log=print):
    """Watches and applies changes to `cache` until --once is satisfied or interrupted."""
    if cache.revision is None:
        cache.revision = 0  # a fresh cache reads the whole log (rebuilt below if compacted)
    while True:
        watch = client.watch(cache.revision, project=project, heartbeats=True,
                             heartbeat_seconds=heartbeat_seconds)
        try:
            for event in watch:
                if isinstance(event, v1.Heartbeat):
                    cache.save(event.revision)  # caught up to here
                    if once:
                        return cache.revision
                    continue
                cache.apply(event)
                cache.save()
                log(f"r{event.revision} {event.operation} {event.kind} {event.project}/"
                    f"{event.name}")
        except larder.RevisionCompacted:
            revision = client.get_server_info().current_revision
            log(f"revision {cache.revision} was compacted on the server; rebuilding the cache "
                f"at revision {revision}")
            cache.rebuild(client.get_registry_at(revision, project), revision)
            cache.save()
        finally:
            watch.close()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--addr", required=True, help="host:port[,host:port...] (replicas)")
    parser.add_argument("--state", required=True, help="directory of cache.json/changelog")
    parser.add_argument("--project", default="")
    parser.add_argument("--token", default=None)
    parser.add_argument("--once", action="store_true", help="stop when caught up")
    parser.add_argument("--heartbeat-seconds", type=int, default=2)
    args = parser.parse_args(argv)
    cache = Cache(args.state)
    with larder.LarderClient(args.addr, token=args.token) as client:
        try:
            revision = follow(client, cache, args.project, args.once, args.heartbeat_seconds)
            print(f"caught up at revision {revision}: {len(cache.objects)} objects")
        except KeyboardInterrupt:
            print(f"stopped at revision {cache.revision}")
        except larder.LarderError as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
