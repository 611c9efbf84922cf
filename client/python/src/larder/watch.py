"""The resuming iterator behind LarderClient.watch()."""
import threading
import time

import grpc

from larder import errors
from larder._request_id import new_request_id

# Outcomes of a stream after which reopening it from the last revision can succeed. A stream
# that ends with OK (a server shutting down) is resumed too.
_RESUMABLE = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.ABORTED,
              grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.CANCELLED)
_DEFAULT_HEARTBEAT_S = 10


class Watch:
    """Iterator of larder.v1.Change (and Heartbeat when asked), resuming after failures.

    Not thread-safe except for close() and the stop event, which may come from another thread.
    """

    def __init__(self, client, request, *, heartbeats, stop, max_silence, give_up_after):
        self._client = client
        self._request = request
        self._heartbeats = heartbeats
        self._stop = stop or threading.Event()
        hb = request.heartbeat_seconds or _DEFAULT_HEARTBEAT_S
        self._max_silence = 3 * hb + 5 if max_silence is None else max_silence
        self._give_up_after = give_up_after
        self._call = None
        self._call_lock = threading.Lock()
        self._gen = self._run()
        self.reconnects = 0  # streams reopened after a failure

    @property
    def revision(self) -> int:
        """Every matching change up to this revision has been delivered."""
        return self._request.after_revision

    def __iter__(self):
        return self

    def __next__(self):
        return next(self._gen)

    def close(self):
        """Ends the iteration (from any thread) and cancels the open stream."""
        self._stop.set()
        with self._call_lock:
            if self._call is not None:
                self._call.cancel()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        try:
            self._gen.close()
        except ValueError:
            pass  # iterating in another thread: close() above already ends it there

    def _monitor(self, call, state):
        """Cancels `call` when stop is set or the stream stays silent too long."""
        while not state["done"]:
            if self._stop.wait(0.2):
                call.cancel()
                return
            if self._max_silence and time.monotonic() - state["last"] > self._max_silence:
                state["silent"] = True
                call.cancel()
                return

    def _run(self):
        client = self._client
        failures = 0
        failing_since = None
        while not self._stop.is_set():
            index, stub = client._pick()
            request_id = new_request_id()
            with self._call_lock:
                call = stub.WatchChanges(self._request, metadata=client._metadata(request_id))
                self._call = call
            state = {"done": False, "last": time.monotonic(), "silent": False}
            monitor = threading.Thread(target=self._monitor, args=(call, state), daemon=True)
            monitor.start()
            code = None
            error = None
            try:
                for event in call:
                    state["last"] = time.monotonic()
                    failures, failing_since = 0, None  # the stream works again
                    which = event.WhichOneof("event")
                    if which == "change":
                        change = event.change
                        if change.revision <= self._request.after_revision:
                            continue  # never twice
                        self._request.after_revision = change.revision
                        yield change
                    elif which == "heartbeat":
                        hb = event.heartbeat
                        if hb.revision > self._request.after_revision:
                            self._request.after_revision = hb.revision
                        if self._heartbeats:
                            yield hb
                    # Time spent by the consumer is not the stream's silence.
                    state["last"] = time.monotonic()
                    if self._stop.is_set():
                        return
                code = grpc.StatusCode.OK
            except grpc.RpcError as e:
                code, error = e.code(), e
            finally:
                state["done"] = True
                call.cancel()
                with self._call_lock:
                    self._call = None
            if self._stop.is_set():
                return
            if code not in _RESUMABLE and code != grpc.StatusCode.OK:
                raise errors.from_rpc_error(error, request_id) from None
            # Resume on the next replica after the last revision delivered.
            client._fail_over(index)
            failures += 1
            self.reconnects += 1
            now = time.monotonic()
            failing_since = failing_since or now
            if self._give_up_after is not None and now - failing_since > self._give_up_after:
                if error is not None:
                    raise errors.from_rpc_error(error, request_id) from None
                raise errors.Unavailable(grpc.StatusCode.UNAVAILABLE, "watch stream keeps ending",
                                         (), request_id)
            if self._stop.wait(client._backoff(min(failures, 10))):
                return
