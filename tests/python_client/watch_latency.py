"""Measures, through the Python client, commit-to-delivery latency of watch() and the round
trip of a one-object apply_batch, against a larder it starts (not a CTest test; figures for
docs/python-client.md).

Usage (via run-python-client-test.sh): watch_latency.py LARDER_BINARY [DB_URL] [N]
DB_URL: default a SQLite file in a temporary directory; else a database the server may
migrate (an empty scratch database). N: changes to time (default 200).
"""
import shutil
import statistics
import sys
import tempfile
import threading
import time

import larder
import servers
from larder.protos.feast.core import Entity_pb2


def main():
    servers.LARDER = sys.argv[1]
    work = tempfile.mkdtemp(prefix="larder-pylatency-")
    url = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] else f"sqlite:///{work}/r.db"
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    server = servers.Larder(url, work)
    try:
        client = larder.LarderClient(server.address)
        start = client.get_server_info().current_revision
        delivered = {}
        done = threading.Event()
        watch = client.watch(start)

        def follow():
            for change in watch:
                delivered[change.revision] = time.perf_counter()
                if len(delivered) == n:
                    done.set()
                    return

        threading.Thread(target=follow, daemon=True).start()
        started, returned = [], []
        for i in range(n):
            e = Entity_pb2.Entity()
            e.spec.name, e.spec.project, e.spec.join_key = f"e{i}", "bench", "id"
            started.append(time.perf_counter())
            client.apply_batch("bench", [e])
            returned.append(time.perf_counter())
        done.wait(60)
        watch.close()
        # The first batch also creates the project: the entities are the last n revisions.
        entity_revs = sorted(delivered)[-n:]
        apply_s = [r - s for s, r in zip(started, returned)]
        # Delivery measured from the apply's start: an upper bound of commit-to-delivery (the
        # commit happens somewhere inside the round trip).
        lat = [delivered[rev] - s for rev, s in zip(entity_revs, started)]

        def pct(xs, p):
            xs = sorted(xs)
            return xs[min(len(xs) - 1, int(p * len(xs)))] * 1000
        print(f"backend={client.get_server_info().backend} n={n}")
        print(f"apply_batch(1 object) round trip ms: p50={pct(apply_s, .5):.2f} "
              f"p99={pct(apply_s, .99):.2f}")
        print(f"apply start->watch delivery ms: p50={pct(lat, .5):.2f} "
              f"p99={pct(lat, .99):.2f} mean={statistics.mean(lat) * 1000:.2f}")
        client.close()
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
