"""LarderClient: a thin Python client of larder.v1.Registry (docs/python-client.md).

Per-call deadlines, bounded jittered retries (ABORTED always; UNAVAILABLE and DEADLINE_EXCEEDED
for idempotent calls, and for ApplyBatch when the server deduplicates request ids), failover
across replicas, bearer tokens, TLS, one request id per call (the same on every attempt), and
typed errors (larder.errors). The same rules as the C++ RegistryClient (client/registry_client.h).

Thread-safe: share one client between threads (grpc channels are).
"""
import random
import threading
import time

import grpc

from larder import _tls, errors
from larder._request_id import new_request_id
from larder.protos.feast.core import Registry_pb2
from larder.protos.feast.registry import RegistryServer_pb2_grpc
from larder.protos.larder.v1 import registry_pb2 as v1
from larder.protos.larder.v1 import registry_pb2_grpc as v1_grpc
from larder.watch import Watch

# Upsert's oneof: Feast message full name -> field name (which is also the change-log kind).
_UPSERT_FIELD = {
    f.message_type.full_name: f.name for f in v1.Upsert.DESCRIPTOR.oneofs_by_name["object"].fields
}
_RETRY_ALWAYS = (grpc.StatusCode.ABORTED,)
_RETRY_IF_IDEMPOTENT = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)


def upsert(obj, expected_version=None) -> v1.Upsert:
    """An Upsert of one Feast object (Entity, FeatureView, DataSource, Project, ...).
    expected_version: None = any; 0 = must not exist yet; N = must be at version N."""
    if isinstance(obj, v1.Upsert):
        out = v1.Upsert()
        out.CopyFrom(obj)
    else:
        field = _UPSERT_FIELD.get(obj.DESCRIPTOR.full_name)
        if field is None:
            raise TypeError(f"not a Feast registry object: {obj.DESCRIPTOR.full_name}")
        out = v1.Upsert()
        getattr(out, field).CopyFrom(obj)
    if expected_version is not None:
        out.expected_version = expected_version
    return out


def delete(kind: str, name: str, expected_version=None) -> v1.Delete:
    """A Delete of one object by kind ("entity", "feature_view", ...) and name."""
    out = v1.Delete(kind=kind, name=name)
    if expected_version is not None:
        out.expected_version = expected_version
    return out


def decode_object(change):
    """The Feast message a Change (or ObjectResult-like kind + bytes) carries, or None for a
    delete. change.kind names the Upsert field, hence the message class."""
    if not change.object:
        return None
    field = v1.Upsert.DESCRIPTOR.fields_by_name.get(change.kind)
    if field is None:
        raise ValueError(f"unknown kind {change.kind!r}")
    message = getattr(v1.Upsert(), field.name).__class__()
    message.ParseFromString(change.object)
    return message


class LarderClient:
    """A client of one Larder deployment (one or more replicas of the same database).

    addresses: "host:port" or a list of them; calls go to one at a time and move to the next
      after UNAVAILABLE.
    token / token_provider: a bearer token, or a callable returning one before every attempt.
    deadline: seconds per attempt. max_attempts: attempts per call (1 = no retries), with
      jittered exponential backoff from initial_backoff to max_backoff seconds.
    tls: use TLS (verified with the system roots unless ca_file); ca_file: PEM roots to verify
      the server with; cert_file and key_file: a PEM client certificate and its key (mutual
      TLS); server_name: the name the server certificate must carry, when not the address.
      ca_file or cert_file turn TLS on. Paths, the names larderctl and the C++ client use; an
      option left None is read from LARDER_TLS, LARDER_CA_FILE, LARDER_CERT_FILE,
      LARDER_KEY_FILE or LARDER_SERVER_NAME. Deprecated, still accepted: root_certificates,
      client_certificate and client_private_key (PEM bytes) and authority_override.
    server_deduplicates_requests: Larder answers a retried ApplyBatch whose request id already
      committed with already_applied instead of applying it again, so ApplyBatch is retried
      after UNAVAILABLE / DEADLINE_EXCEEDED too. Turn off only for a server that does not.
    """

    def __init__(self, addresses, *, token=None, token_provider=None, deadline=10.0,
                 max_attempts=6, initial_backoff=0.02, max_backoff=1.0, tls=None,
                 ca_file=None, cert_file=None, key_file=None, server_name=None,
                 server_deduplicates_requests=True, channel_options=(),
                 root_certificates=None, client_certificate=None, client_private_key=None,
                 authority_override=None):
        if isinstance(addresses, str):
            addresses = [a for a in addresses.split(",") if a]
        if not addresses:
            raise ValueError("LarderClient needs at least one address")
        if token is not None and token_provider is not None:
            raise ValueError("give token or token_provider, not both")
        self._addresses = list(addresses)
        self._token_provider = token_provider or ((lambda: token) if token else None)
        self.deadline = deadline
        self.max_attempts = max(1, max_attempts)
        self.initial_backoff = initial_backoff
        self.max_backoff = max_backoff
        self.server_deduplicates_requests = server_deduplicates_requests
        settings = _tls.resolve(
            tls, ca_file, cert_file, key_file, server_name,
            deprecated={"root_certificates": root_certificates,
                        "client_certificate": client_certificate,
                        "client_private_key": client_private_key,
                        "authority_override": authority_override})
        options = list(channel_options)
        if settings.server_name:
            options.append(("grpc.ssl_target_name_override", settings.server_name))
            options.append(("grpc.default_authority", settings.server_name))
        self._tls_without_client_certificate = settings.enabled and settings.cert is None
        if settings.enabled:
            credentials = grpc.ssl_channel_credentials(
                root_certificates=settings.ca, private_key=settings.key,
                certificate_chain=settings.cert)
            self._channels = [grpc.secure_channel(a, credentials, options=options)
                              for a in self._addresses]
        else:
            self._channels = [grpc.insecure_channel(a, options=options) for a in self._addresses]
        self._stubs = [v1_grpc.RegistryStub(c) for c in self._channels]
        self._lock = threading.Lock()
        self._current = 0

    # -- plumbing ---------------------------------------------------------------------------

    def close(self):
        for c in self._channels:
            c.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def current_address(self) -> str:
        """The address calls currently go to."""
        with self._lock:
            return self._addresses[self._current]

    def feast_registry_stub(self):
        """A feast.registry.RegistryServer stub on the current replica's channel (Feast's own
        API; no retries or typed errors)."""
        with self._lock:
            return RegistryServer_pb2_grpc.RegistryServerStub(self._channels[self._current])

    def _pick(self):
        with self._lock:
            return self._current, self._stubs[self._current]

    def _fail_over(self, failed_index):
        """Moves to the next replica after `failed_index` failed (no-op if already moved)."""
        with self._lock:
            if self._current == failed_index:
                self._current = (self._current + 1) % len(self._stubs)

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self.max_backoff, self.initial_backoff * (2 ** max(0, attempt - 1)))
        return random.uniform(ceiling / 2, ceiling)

    def _metadata(self, request_id: str):
        metadata = [("x-larder-request-id", request_id)]
        token = self._token_provider() if self._token_provider else None
        if token:
            metadata.append(("authorization", f"Bearer {token}"))
        return metadata

    def _call(self, method: str, request, idempotent: bool, request_id=None):
        request_id = request_id or new_request_id()  # one id for every attempt of this call
        attempt = 0
        while True:
            index, stub = self._pick()
            try:
                return getattr(stub, method)(request, timeout=self.deadline,
                                             metadata=self._metadata(request_id))
            except grpc.RpcError as e:
                code = e.code()
                attempt += 1
                if code == grpc.StatusCode.UNAVAILABLE:
                    self._fail_over(index)
                retry = code in _RETRY_ALWAYS or (idempotent and code in _RETRY_IF_IDEMPOTENT)
                if not retry or attempt >= self.max_attempts:
                    raise self._error(e, request_id) from None
                time.sleep(self._backoff(attempt))

    def _error(self, rpc_error, request_id):
        error = errors.from_rpc_error(rpc_error, request_id)
        # A server that requires client certificates (mutual TLS) ends the handshake of a
        # client without one, which gRPC only reports as a closed socket.
        if (self._tls_without_client_certificate and isinstance(error, errors.Unavailable)
                and "Socket closed" in (error.message or "")):
            error.message += (" (a server that requires a client certificate closes the "
                              "connection: give cert_file and key_file)")
            error.args = (f"{error.code.name}: {error.message}",)
        return error

    # -- larder.v1 ----------------------------------------------------------------------------

    def apply_batch(self, project: str, upserts=(), deletes=(), *, dry_run=False, prune=False,
                    expected_revision=None, owner="", request_id=None) -> v1.ApplyBatchResponse:
        """Applies every upsert and delete in one transaction, or none (larder.v1 ApplyBatch).

        upserts: Feast messages (Entity, FeatureView, ...), Upsert messages, or
          (message, expected_version) pairs. deletes: Delete messages or (kind, name[,
          expected_version]) tuples. prune: also delete the project's objects not in `upserts`
          (only those `owner` created, when owner is set). expected_revision: commit only if
          the registry is still at this revision.
        request_id: the id that makes retries safe; give the same one when your own code
          repeats the same batch (e.g. a CI job re-run), else a fresh one is made.
        Raises RevisionConflict, VersionConflict (both FailedPrecondition; nothing applied),
        PermissionDenied, InvalidArgument, NotFound, ... (larder.errors).
        """
        request = v1.ApplyBatchRequest(project=project, dry_run=dry_run, prune=prune,
                                       owner=owner)
        for u in upserts:
            request.upserts.append(upsert(*u) if isinstance(u, tuple) else upsert(u))
        for d in deletes:
            request.deletes.append(d if isinstance(d, v1.Delete) else delete(*d))
        if expected_revision is not None:
            request.expected_revision = expected_revision
        return self._call("ApplyBatch", request, self.server_deduplicates_requests, request_id)

    def list_changes(self, after_revision=0, *, project="", kind="", name="",
                     limit=0) -> v1.ListChangesResponse:
        """One page of change-log entries after `after_revision`, in revision order. Continue
        with after_revision=response.next_after_revision. RevisionCompacted when the revision
        is older than the retained log."""
        request = v1.ListChangesRequest(after_revision=after_revision, project=project,
                                        kind=kind, name=name, limit=limit)
        return self._call("ListChanges", request, True)

    def iter_changes(self, after_revision=0, *, project="", kind="", name="", page_size=0):
        """Every change after `after_revision` up to now, page by page (a generator)."""
        while True:
            page = self.list_changes(after_revision, project=project, kind=kind, name=name,
                                     limit=page_size)
            yield from page.changes
            if page.next_after_revision <= after_revision or not page.changes:
                return
            after_revision = page.next_after_revision

    def get_object_history(self, project: str, kind: str, name: str) -> list:
        """Every recorded change of one object, oldest first (a list of larder.v1.Change)."""
        request = v1.GetObjectHistoryRequest(project=project, kind=kind, name=name)
        return list(self._call("GetObjectHistory", request, True).changes)

    def get_registry_at(self, revision: int, project: str = "") -> Registry_pb2.Registry:
        """The registry (or one project) as it was right after `revision` committed: a
        feast.core.Registry like Feast's Proto(). RevisionCompacted before the retained log."""
        request = v1.GetRegistryAtRequest(revision=revision, project=project)
        return self._call("GetRegistryAt", request, True).registry

    def diff_revisions(self, from_revision: int, to_revision: int = 0,
                       project: str = "") -> v1.DiffRevisionsResponse:
        """Objects created, updated and deleted between two revisions (to 0: the latest)."""
        request = v1.DiffRevisionsRequest(from_revision=from_revision, to_revision=to_revision,
                                          project=project)
        return self._call("DiffRevisions", request, True)

    def get_server_info(self) -> v1.GetServerInfoResponse:
        """Version, backend, current revision, schema version, retention horizon, staged
        Feast applies."""
        return self._call("GetServerInfo", v1.GetServerInfoRequest(), True)

    def watch(self, after_revision=0, *, project="", kind="", name="", heartbeat_seconds=0,
              heartbeats=False, stop=None, max_silence=None, give_up_after=None) -> Watch:
        """Follows the change log after `after_revision` (larder.v1 WatchChanges): an iterator
        of larder.v1.Change, each exactly once, in revision order. It resumes by itself after
        a disconnect, a server restart or the loss of a replica (failing over across the
        client's addresses), from the last revision it delivered; `.revision` is that point
        (save it to resume after your own restart).

        heartbeats=True: also yields larder.v1.Heartbeat when caught up (its revision is where
          the watcher is; .revision moves with it).
        stop: a threading.Event that ends the iteration. max_silence: seconds without any
          message after which the stream is presumed dead and reopened (default: 3 heartbeat
          intervals + 5 s). give_up_after: seconds of failing reconnects before raising
          Unavailable (default: never).
        Raises RevisionCompacted, PermissionDenied, InvalidArgument, FailedPrecondition (a
        server not following the log) and other errors no resumption can cure.
        """
        request = v1.WatchChangesRequest(after_revision=after_revision, project=project,
                                         kind=kind, name=name,
                                         heartbeat_seconds=heartbeat_seconds)
        return Watch(self, request, heartbeats=heartbeats, stop=stop, max_silence=max_silence,
                     give_up_after=give_up_after)
