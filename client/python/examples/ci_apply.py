#!/usr/bin/env python3
"""A CI step that applies a project's registry definitions all-or-nothing.

    ci_apply.py --addr registry:6570 --owner team-a definitions.json [--token T] [--dry-run]

definitions.json is an larder.v1.ApplyBatchRequest in protobuf JSON (a project and its
upserts: what a CI job renders from the repository), e.g. examples/definitions.json.

What it does, and why:
1. Plan: a dry run of the batch with prune (owner-scoped: only objects this owner created are
   pruned, so teams can share a project) at the registry's current revision R. The dry run
   answers exactly what the real run would do: per object created / updated / unchanged /
   deleted and the version it is at now.
2. Apply: the same batch with every object's expected version taken from the plan (0 for the
   ones to create) and expected_revision R, so what lands is exactly what was planned and
   reviewed; nothing in between can be overwritten. One transaction: all or nothing.
3. If the registry moved (RevisionConflict) or an object changed (VersionConflict) between
   plan and apply, nothing was written: plan again from the new state and retry, a bounded
   number of times. The request id of each attempt is fixed, so a network failure after the
   commit is retried by the client without applying twice (answer: already_applied).
Exit status: 0 applied (or nothing to do), 1 error, 2 still conflicting after every attempt.
"""
import argparse
import sys

from google.protobuf import json_format

import larder
from larder import v1

EFFECT = {v1.CREATED: "create", v1.UPDATED: "update", v1.UNCHANGED: "unchanged",
          v1.DELETED: "delete"}


def plan(client, request, owner):
    """(revision, dry-run response) of `request` at the current revision."""
    revision = client.get_server_info().current_revision
    dry = client.apply_batch(request.project, request.upserts, request.deletes, dry_run=True,
                             prune=True, owner=owner, expected_revision=revision)
    return revision, dry


def with_expected_versions(request, dry):
    """The upserts of `request` with each expected version set from the dry run (its results
    list the upserts first, in request order)."""
    upserts = []
    for u, result in zip(request.upserts, dry.results):
        upserts.append(larder.upsert(u, result.old_version))
    return upserts


def apply_definitions(client, request, owner, max_attempts=5, on_planned=None, log=print):
    """Plans and applies `request`; returns (attempts, ApplyBatchResponse or None when nothing
    changes). Raises the last conflict after max_attempts. on_planned(revision) runs between
    plan and apply (tests use it to race another writer)."""
    for attempt in range(1, max_attempts + 1):
        revision, dry = plan(client, request, owner)
        changes = [r for r in dry.results if r.effect != v1.UNCHANGED]
        for r in changes:
            log(f"  {EFFECT[r.effect]:9} {r.kind} {r.name} (v{r.old_version} -> v{r.new_version})")
        if not changes:
            log(f"nothing to apply at revision {revision}")
            return attempt, None
        if on_planned:
            on_planned(revision)
        try:
            response = client.apply_batch(
                request.project, with_expected_versions(request, dry), request.deletes,
                prune=True, owner=owner, expected_revision=revision,
                request_id=larder.new_request_id())
            log(f"applied {len(changes)} change(s) on top of revision {revision} "
                f"(attempt {attempt})")
            return attempt, response
        except larder.RevisionConflict as e:
            log(f"registry moved from {e.expected_revision} to {e.actual_revision} since the "
                f"plan; nothing was applied, planning again")
            if attempt == max_attempts:
                raise
        except larder.VersionConflict as e:
            for c in e.conflicts:
                log(f"  {c.kind} {c.name}: planned at v{c.expected_version}, now "
                    f"v{c.actual_version}")
            if attempt == max_attempts:
                raise
    raise AssertionError("unreachable")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("definitions", help="ApplyBatchRequest as protobuf JSON")
    parser.add_argument("--addr", required=True, help="host:port[,host:port...]")
    parser.add_argument("--owner", default="", help="the team/pipeline owning these objects")
    parser.add_argument("--token", default=None, help="bearer token")
    parser.add_argument("--dry-run", action="store_true", help="only print the plan")
    parser.add_argument("--max-attempts", type=int, default=5)
    args = parser.parse_args(argv)

    with open(args.definitions) as f:
        request = json_format.Parse(f.read(), v1.ApplyBatchRequest())
    with larder.LarderClient(args.addr, token=args.token) as client:
        try:
            if args.dry_run:
                revision, dry = plan(client, request, args.owner)
                print(f"plan at revision {revision}:")
                for r in dry.results:
                    print(f"  {EFFECT[r.effect]:9} {r.kind} {r.name}")
                return 0
            apply_definitions(client, request, args.owner, args.max_attempts)
            return 0
        except (larder.RevisionConflict, larder.VersionConflict) as e:
            print(f"giving up: {e}", file=sys.stderr)
            return 2
        except larder.LarderError as e:
            print(f"error: {e} (request id {e.request_id})", file=sys.stderr)
            return 1


if __name__ == "__main__":
    sys.exit(main())
