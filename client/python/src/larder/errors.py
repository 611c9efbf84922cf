"""Typed errors of the Larder client: one class per gRPC status code a caller may want to catch,
and the two conflicts of ApplyBatch with their details decoded.

Every error carries `code` (grpc.StatusCode), `message`, `request_id` (the x-larder-request-id
of the call, for the server's logs), `details` (the google.protobuf.Any messages of the
status details, from the `grpc-status-details-bin` trailer) and `feast_class`: the Feast
exception class when the server encoded the error as Feast does (a JSON message
{"module": "feast.errors", "class": ..., "message": ...}; `message` is then the inner text).
"""
import json

import grpc

from larder.protos.google.rpc import status_pb2
from larder.protos.larder.v1 import registry_pb2

_DETAILS_KEY = "grpc-status-details-bin"


class LarderError(Exception):
    """A call failed with a status other than OK."""

    def __init__(self, code, message, details=(), request_id="", feast_class=""):
        super().__init__(f"{code.name}: {message}" if code is not None else message)
        self.code = code
        self.message = message
        self.details = list(details)
        self.request_id = request_id
        self.feast_class = feast_class

    def detail(self, message_class):
        """The first status detail of type `message_class`, unpacked, or None."""
        for any_ in self.details:
            if any_.Is(message_class.DESCRIPTOR):
                out = message_class()
                any_.Unpack(out)
                return out
        return None


class InvalidArgument(LarderError):
    """The request is malformed (INVALID_ARGUMENT): retrying the same request cannot help."""


class NotFound(LarderError):
    """NOT_FOUND: the object (or project) does not exist."""


class AlreadyExists(LarderError):
    """ALREADY_EXISTS."""


class PermissionDenied(LarderError):
    """PERMISSION_DENIED: the caller's token lacks the Feast permission (docs/auth.md)."""


class Unauthenticated(LarderError):
    """UNAUTHENTICATED: no or an invalid bearer token."""


class FailedPrecondition(LarderError):
    """FAILED_PRECONDITION: the registry is not in the state the request requires."""


class RevisionConflict(FailedPrecondition):
    """ApplyBatch with expected_revision: the registry moved on. Nothing was applied.

    `expected_revision` is what the request expected, `actual_revision` where the registry is:
    re-read (or re-plan) from there and retry.
    """

    def __init__(self, code, message, details=(), request_id="", feast_class=""):
        super().__init__(code, message, details, request_id, feast_class)
        conflict = self.detail(registry_pb2.RevisionConflict)
        self.expected_revision = conflict.expected_revision if conflict else None
        self.actual_revision = conflict.actual_revision if conflict else None


class VersionConflict(FailedPrecondition):
    """ApplyBatch with expected versions: some objects are not at the expected version.
    `conflicts` lists every one of them (larder.v1.VersionConflict: kind, name,
    expected_version, actual_version). Nothing was applied."""

    def __init__(self, code, message, details=(), request_id="", feast_class=""):
        super().__init__(code, message, details, request_id, feast_class)
        conflicts = self.detail(registry_pb2.VersionConflicts)
        self.conflicts = list(conflicts.conflicts) if conflicts else []


class RevisionCompacted(LarderError):
    """OUT_OF_RANGE: the revision asked for is older than the retained change log (history
    retention compacted it). Re-list the registry (get_registry_at / Feast's list calls) and
    continue from the current revision."""


class Aborted(LarderError):
    """ABORTED: a transaction conflict; nothing was committed and a retry can succeed (the
    client already retried `max_attempts` times)."""


class Unavailable(LarderError):
    """UNAVAILABLE: no server answered (after retries and failover)."""


class DeadlineExceeded(LarderError):
    """DEADLINE_EXCEEDED: the call took longer than its deadline."""


_BY_CODE = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgument,
    grpc.StatusCode.NOT_FOUND: NotFound,
    grpc.StatusCode.ALREADY_EXISTS: AlreadyExists,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDenied,
    grpc.StatusCode.UNAUTHENTICATED: Unauthenticated,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPrecondition,
    grpc.StatusCode.OUT_OF_RANGE: RevisionCompacted,
    grpc.StatusCode.ABORTED: Aborted,
    grpc.StatusCode.UNAVAILABLE: Unavailable,
    grpc.StatusCode.DEADLINE_EXCEEDED: DeadlineExceeded,
}


def status_details(rpc_error) -> list:
    """The google.protobuf.Any details of a failed call (empty when it sent none)."""
    trailers = rpc_error.trailing_metadata() if hasattr(rpc_error, "trailing_metadata") else None
    for key, value in trailers or ():
        if key == _DETAILS_KEY:
            status = status_pb2.Status()
            try:
                status.ParseFromString(value)
            except Exception:  # noqa: BLE001 - a malformed trailer only loses the details
                return []
            return list(status.details)
    return []


def _feast_json(message: str):
    """(class, inner message) of Feast's JSON error encoding, or ("", message)."""
    if message.startswith("{"):
        try:
            parsed = json.loads(message)
        except ValueError:
            return "", message
        if isinstance(parsed, dict) and "class" in parsed and "message" in parsed:
            return str(parsed["class"]), str(parsed["message"])
    return "", message


def from_rpc_error(rpc_error, request_id: str = "") -> LarderError:
    """The typed error for a grpc.RpcError."""
    code = rpc_error.code() if hasattr(rpc_error, "code") else grpc.StatusCode.UNKNOWN
    message = rpc_error.details() if hasattr(rpc_error, "details") else str(rpc_error)
    details = status_details(rpc_error)
    cls = _BY_CODE.get(code, LarderError)
    if code == grpc.StatusCode.FAILED_PRECONDITION:
        for any_ in details:
            if any_.Is(registry_pb2.RevisionConflict.DESCRIPTOR):
                cls = RevisionConflict
            elif any_.Is(registry_pb2.VersionConflicts.DESCRIPTOR):
                cls = VersionConflict
    feast_class, message = _feast_json(message or "")
    return cls(code, message, details, request_id, feast_class)
