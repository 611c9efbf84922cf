"""Python client of Larder's larder.v1 API (docs/python-client.md).

    from larder import LarderClient
    client = LarderClient("localhost:6570")
    client.apply_batch("team", [entity, view], expected_revision=rev)
    for change in client.watch(after_revision=rev):
        ...

Generated messages: larder.protos.larder.v1.registry_pb2 (also exported here as `v1`), and
the Feast messages as larder.protos.feast.core.<File>_pb2 (the Feast SDK's own modules when
the SDK is installed, see larder/_protosource.py).
"""
from larder._protosource import source_of_feast_protos
from larder._request_id import new_request_id
from larder.client import LarderClient, decode_object, delete, upsert
from larder.materialization import MaterializationClient
from larder.errors import (AlreadyExists, Aborted, DeadlineExceeded, FailedPrecondition,
                           InvalidArgument, LarderError, NotFound, PermissionDenied,
                           RevisionCompacted, RevisionConflict, Unauthenticated, Unavailable,
                           VersionConflict)
from larder.protos.larder.v1 import registry_pb2 as v1
from larder.watch import Watch

__version__ = "0.1.0"

__all__ = [
    "LarderClient", "MaterializationClient", "Watch", "upsert", "delete", "decode_object", "new_request_id", "v1",
    "source_of_feast_protos", "LarderError", "InvalidArgument", "NotFound", "AlreadyExists",
    "PermissionDenied", "Unauthenticated", "FailedPrecondition", "RevisionConflict",
    "VersionConflict", "RevisionCompacted", "Aborted", "Unavailable", "DeadlineExceeded",
]
