"""Which compiled Feast (and google.rpc) proto modules the client uses.

protobuf keeps one process-wide pool of .proto files keyed by file name, so two different
compilations of e.g. "feast/core/DataSource.proto" cannot be loaded into one process: the
second import fails. When the Feast SDK is installed, a program may well use it beside this
client (a materialization worker that also watches), so the client then uses the SDK's own
modules (feast.protos.feast.core.*) and the larder.v1 stubs are built on top of them. Without
the SDK, the copies bundled in larder.protos._bundled serve.

LARDER_PROTOS=feast|bundled forces a choice (default: auto).
"""
import importlib
import importlib.util
import os
import threading

_lock = threading.Lock()
_choice = {}  # "feast" | "google.rpc" -> prefix of the modules to use


def _has_module_file(package: str, *parts: str) -> bool:
    """Whether `package` is installed and holds the file parts (without importing it: importing
    feast runs the whole SDK's start-up)."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return False
    if spec is None or not spec.submodule_search_locations:
        return False
    return any(os.path.exists(os.path.join(loc, *parts)) for loc in spec.submodule_search_locations)


def _prefix(family: str) -> str:
    with _lock:
        if family in _choice:
            return _choice[family]
        mode = os.environ.get("LARDER_PROTOS", "auto")
        bundled = "larder.protos._bundled."
        if family == "feast":
            external = "feast.protos."
            available = _has_module_file("feast", "protos", "feast", "core", "Registry_pb2.py")
        else:  # google.rpc, from googleapis-common-protos
            external = ""
            try:
                available = importlib.util.find_spec("google.rpc.status_pb2") is not None
            except (ImportError, ValueError):
                available = False
        if mode == "bundled" or (mode == "auto" and not available):
            prefix = bundled
        else:
            prefix = external
        _choice[family] = prefix
        return prefix


def source_of_feast_protos() -> str:
    """"feast-sdk" or "bundled": where the Feast messages this client uses come from."""
    return "bundled" if _prefix("feast").startswith("larder.") else "feast-sdk"


def module_getattr(package: str):
    """A module-level __getattr__ for the selector package `package` ("feast.core", ...)."""
    family = "google.rpc" if package.startswith("google.") else "feast"

    def getattr_(name: str):
        if not name.endswith("_pb2") and not name.endswith("_pb2_grpc"):
            raise AttributeError(name)
        prefix = _prefix(family)
        try:
            return importlib.import_module(f"{prefix}{package}.{name}")
        except ModuleNotFoundError as e:
            # An SDK older than the protos Larder serves may lack a file (e.g. LabelView): the
            # bundled copy of just that file loads on top of the SDK's others.
            if prefix.startswith("larder."):
                raise AttributeError(f"{package}.{name}: {e}") from e
        return importlib.import_module(f"larder.protos._bundled.{package}.{name}")

    return getattr_
