"""Larder's REST registry API against Feast's own REST handlers, endpoint by endpoint.

Feast's REST server (`feast serve_registry --rest-api`) is a set of FastAPI route functions
(sdk/python/feast/api/registry/rest/*.py) over a RegistryServer. Here those very functions run
in-process over a RegistryServer whose registry is a RemoteRegistry pointed at the Larder under
test, so both sides answer from the same registry content: Larder's HTTP listener on one side,
Feast's handler code on the other. Each endpoint's JSON is compared field by field; the known
differences (docs/http.md, "Differences from Feast's REST server") are applied to Feast's answer
by name in KNOWN_DIFFERENCES before comparing, so anything else that differs fails.

FastAPI's server is not needed (the SDK folder here has only inert stand-ins for it; a pip
install has the real one, and either works): the route functions are called with their query
parameters resolved the way FastAPI resolves them (dependencies, defaults, aliases, bool/int/list
conversion), and Feast's exception handlers are applied to what they raise. Parameter validation that FastAPI does
from Query(ge=..., pattern=...) is not reproduced, so only answers, not 422s, are compared here
(the C++ e2e test checks those).

Usage: rest_api_sdk_test.py LARDER_BINARY
Runs on SQLite, and on PostgreSQL / MariaDB when LARDER_TEST_POSTGRES_URL / LARDER_TEST_MYSQL_URL
are set. Prints "SKIPPED: ..." and exits 0 when the Feast SDK cannot be imported.
"""
import asyncio
import inspect
import json
import os
import re
import shutil
import socket
import sys
import tempfile
import textwrap
import typing
import unittest
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone

try:
    import feast.api.registry.rest as feast_rest
    from feast import (Entity, FeatureService, FeatureStore, FeatureView, Field, FileSource,
                       Project, ValueType)
    from feast.errors import FeastObjectNotFoundException, FeastPermissionError
    from feast.infra.registry.remote import RemoteRegistry, RemoteRegistryConfig
    from feast.registry_server import RegistryServer
    from feast.types import Float64, Int64, String
    from starlette.exceptions import HTTPException
except Exception as e:  # noqa: BLE001 - any import failure means "no SDK here"
    print(f"SKIPPED: the Feast SDK v0.66.0 is not importable here ({e}); "
          "see ../shared/feast-sdk or `pip install feast==0.66.0`")
    sys.exit(0)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import staged_apply_sdk_test as larder_runner  # noqa: E402  (Larder process, scratch databases)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- Feast's handlers, called as FastAPI would call them -----------------------------------

class FeastRest:
    """Feast's REST route functions over a RegistryServer reading the Larder at `address`."""

    def __init__(self, address: str):
        registry = RemoteRegistry(RemoteRegistryConfig(path=address), project=None,
                                  repo_path=None)
        self.handler = RegistryServer(registry)

        class App:  # collects the routers register_all_routes includes
            routers = []

            def include_router(self, router):
                self.routers.append(router)

        app = App()
        feast_rest.register_all_routes(app, self.handler, None)
        self.routes = []  # (path segments, function), GET routes only
        writers = ("apply_", "delete_", "register_", "create_", "compute_", "auto_")
        for router in app.routers:
            for route in router.routes:
                if isinstance(route, tuple):  # the SDK folder's inert stand-in: (args, fn)
                    args, fn = route
                    path = args[0] if args else None
                else:  # FastAPI's APIRoute (pip install feast)
                    path, fn = route.path, route.endpoint
                    if "GET" not in route.methods:
                        continue
                if not path or fn.__name__.startswith(writers):
                    continue
                self.routes.append((path.strip("/").split("/"), fn))

    def _match(self, path: str):
        segments = path.strip("/").split("/")
        for pattern, fn in self.routes:  # in registration order, as Starlette matches
            if len(pattern) != len(segments):
                continue
            params = {}
            for want, got in zip(pattern, segments):
                if want.startswith("{"):
                    params[want[1:-1]] = urllib.parse.unquote(got)
                elif want != got:
                    break
            else:
                return fn, params
        return None, None

    @staticmethod
    def _convert(values, annotation):
        origin = typing.get_origin(annotation)
        args = typing.get_args(annotation)
        if origin is typing.Union and type(None) in args:  # Optional[X]
            annotation = next(a for a in args if a is not type(None))
            origin = typing.get_origin(annotation)
        if origin in (list, typing.List):
            return list(values)
        value = values[-1]
        if annotation is bool:
            return value.lower() in ("1", "true", "yes", "on")
        if annotation is int:
            return int(value)
        return value

    @staticmethod
    def _unwrap(default):
        """(dependency or None, default value, query name or None) of a parameter default:
        the SDK folder's stand-ins give the raw values, FastAPI gives Depends/Query objects."""
        if inspect.isfunction(default):
            return default, None, None
        dependency = getattr(default, "dependency", None)
        if dependency is not None:
            return dependency, None, None
        if type(default).__module__.split(".")[0] in ("fastapi", "pydantic"):
            value = getattr(default, "default", Ellipsis)
            if type(value).__name__ == "PydanticUndefinedType":
                value = Ellipsis
            return None, value, getattr(default, "alias", None)
        return None, default, None

    def _resolve(self, fn, path_params, query):
        kwargs = {}
        for name, parameter in inspect.signature(fn).parameters.items():
            dependency, default, alias = self._unwrap(parameter.default)
            if name in path_params:
                kwargs[name] = path_params[name]
            elif name == "request":  # starlette Request: only .state is read
                kwargs[name] = type("Request", (), {"state": type("State", (), {})()})()
            elif dependency is not None:
                kwargs[name] = dependency(**self._resolve(dependency, {}, query))
            elif (alias or name) in query:
                kwargs[name] = self._convert(query[alias or name], parameter.annotation)
            elif default is Ellipsis or default is inspect.Parameter.empty:
                raise LookupError(name)
            else:
                kwargs[name] = default
        return kwargs

    def get(self, path_and_query: str):
        """(status, JSON body) as Feast's REST server answers GET /api/v1<path_and_query>."""
        parts = urllib.parse.urlsplit(path_and_query)
        query = urllib.parse.parse_qs(parts.query, keep_blank_values=True)
        fn, params = self._match(parts.path)
        if fn is None:
            return 404, {"detail": "Not Found"}
        try:
            kwargs = self._resolve(fn, params, query)
            if os.environ.get("REST_TEST_DEBUG"):
                print(path_and_query, fn.__name__, kwargs)
            result = fn(**kwargs)
            if inspect.iscoroutine(result):
                result = asyncio.run(result)
            if hasattr(result, "model_dump"):  # a pydantic response model
                result = result.model_dump()
            return 200, json.loads(json.dumps(result))
        except FeastObjectNotFoundException as e:
            return 404, {"status_code": 404, "detail": str(e),
                         "error_type": "FeastObjectNotFoundException"}
        except FeastPermissionError as e:
            return 403, {"status_code": 403, "detail": str(e),
                         "error_type": "FeastPermissionError"}
        except HTTPException as e:
            return e.status_code, {"status_code": e.status_code, "detail": e.detail,
                                   "error_type": "HTTPException"}


# --- Known differences (docs/http.md) ------------------------------------------------------

def drop_feature_definition(body):
    """Larder does not generate Python source for objects (Feast's featureDefinition)."""
    if isinstance(body, dict):
        body.pop("featureDefinition", None)
    return body


def drop_pagination_from_view_list(body):
    """Feast's get_all_feature_views also appends ListAllFeatureViews' pagination object to
    the featureViews list of /lineage/complete[/all]; Larder lists only the views."""
    entries = [body] if "objects" in body else body.get("projects", [])
    for entry in entries:
        views = entry["objects"]["featureViews"]
        entry["objects"]["featureViews"] = [
            v for v in views if any("feature" in k.lower() and "view" in k.lower() for k in v)]
    return body


def canonical_search(body):
    """Feast lists /search's projects_searched from a Python set (arbitrary order); Larder in
    name order. Results with equal sort keys may then come in another order, so both sides are
    compared in a canonical order."""
    if isinstance(body, dict) and "projects_searched" in body:
        body["projects_searched"] = sorted(body["projects_searched"])
        body["results"] = sorted(body["results"], key=lambda r: json.dumps(r, sort_keys=True))
        body["errors"] = sorted(body["errors"])
    return body


DATA_SOURCE_TYPES = ("BATCH_", "STREAM_", "REQUEST_SOURCE", "PUSH_SOURCE", "CUSTOM_SOURCE")


def drop_larder_only_fields(body, parent_key=""):
    """Fields Larder's gRPC answers carry and Feast's do not (its Python objects drop them on
    the way to protobuf): each object's project (spec.project, DataSource.project) and the
    timestamps of ListFeatures' Feature (Feast reads them from a `meta` its views do not
    have). Dropped on both sides, so a handler-added "project" is dropped alike."""
    if isinstance(body, list):
        return [drop_larder_only_fields(item, parent_key) for item in body]
    if not isinstance(body, dict):
        return body
    is_source = str(body.get("type", "")).startswith(DATA_SOURCE_TYPES)
    is_feature = "featureView" in body and "kind" in body
    out = {}
    for key, value in body.items():
        if key == "project" and (parent_key == "spec" or is_source):
            continue
        if is_feature and key in ("createdTimestamp", "lastUpdatedTimestamp"):
            continue
        out[key] = drop_larder_only_fields(value, key)
    return out


GET_ONE = re.compile(r"^/(entities|data_sources|feature_views|feature_services|saved_datasets|"
                     r"permissions|label_views)/(?!all\b)[^/?]+(\?|$)|^/features/[^/]+/[^/?]+")
# (applies to endpoint, fix, applied to Feast's answer only)
KNOWN_DIFFERENCES = [
    (lambda p: GET_ONE.match(p) is not None, drop_feature_definition, True),
    (lambda p: p.startswith("/lineage/complete"), drop_pagination_from_view_list, True),
    (lambda p: p.startswith("/search"), canonical_search, False),
    (lambda p: True, drop_larder_only_fields, False),
]


def normalized(path, body, feast_side):
    body = json.loads(json.dumps(body))
    for applies, fix, feast_only in KNOWN_DIFFERENCES:
        if applies(path) and (feast_side or not feast_only):
            body = fix(body)
    return body


def first_difference(got, want, where="$"):
    """The first path where two JSON values differ (dict keys unordered), or None."""
    if isinstance(want, dict) and isinstance(got, dict):
        if sorted(got) != sorted(want):
            return f"{where}: keys {sorted(got)} != {sorted(want)}"
        for key in want:
            found = first_difference(got[key], want[key], f"{where}.{key}")
            if found:
                return found
        return None
    if isinstance(want, list) and isinstance(got, list):
        if len(got) != len(want):
            return f"{where}: {len(got)} items != {len(want)}"
        for i, (a, b) in enumerate(zip(got, want)):
            found = first_difference(a, b, f"{where}[{i}]")
            if found:
                return found
        return None
    if isinstance(got, (int, float)) and isinstance(want, (int, float)) \
            and not isinstance(got, bool) and not isinstance(want, bool):
        return None if got == want else f"{where}: {got!r} != {want!r}"
    return None if got == want and type(got) is type(want) else f"{where}: {got!r} != {want!r}"


# --- The registry both servers read --------------------------------------------------------

def seed(address: str, work: str):
    """Two projects through the Feast SDK: entities, sources, views, a service (tags and
    descriptions to search), and materialization intervals."""
    csv = os.path.join(work, "driver_stats.csv")
    with open(csv, "w") as f:
        f.write("driver_id,customer_id,event_timestamp,conv_rate,trips,city\n")
    stores = {}
    for project in ("demo", "other"):
        repo = os.path.join(work, project)
        os.makedirs(repo)
        with open(os.path.join(repo, "feature_store.yaml"), "w") as f:
            f.write(textwrap.dedent(f"""\
                project: {project}
                provider: local
                registry:
                  registry_type: remote
                  path: {address}
                online_store:
                  type: sqlite
                  path: {os.path.join(work, project + '-online.db')}
                offline_store:
                  type: feast_peer_kit.offline.PandasFileOfflineStore
                batch_engine:
                  type: feast_peer_kit.engine.PandasComputeEngine
                entity_key_serialization_version: 3
                """))
        stores[project] = FeatureStore(repo_path=repo)

    # Typed entities and entity columns: nothing is inferred from the (unread) source.
    driver = Entity(name="driver", join_keys=["driver_id"], value_type=ValueType.INT64,
                    description="A driver", tags={"team": "ml", "tier": "gold"})
    customer = Entity(name="customer", join_keys=["customer_id"], value_type=ValueType.STRING,
                      tags={"team": "growth"})
    driver_id = Field(name="driver_id", dtype=Int64)
    customer_id = Field(name="customer_id", dtype=String)
    source = FileSource(name="driver_stats_source", path=csv, timestamp_field="event_timestamp",
                        description="Driver trips", tags={"team": "ml"})
    stats = FeatureView(name="driver_stats", entities=[driver], ttl=timedelta(days=1),
                        schema=[driver_id, Field(name="conv_rate", dtype=Float64, description="conversion"),
                                Field(name="trips", dtype=Int64)],
                        source=source, description="Daily driver stats",
                        tags={"team": "ml", "owner": "rides"})
    profile = FeatureView(name="customer_profile", entities=[customer], ttl=timedelta(days=7),
                          schema=[customer_id, Field(name="city", dtype=String)], source=source,
                          tags={"team": "growth"})
    combined = FeatureView(name="driver_customer", entities=[driver, customer],
                           schema=[driver_id, customer_id, Field(name="trips", dtype=Int64)],
                           source=source, tags={"team": "ml"})
    service = FeatureService(name="driver_service", features=[stats, profile[["city"]]],
                             description="Everything about drivers", tags={"team": "ml"})
    stores["demo"].apply([driver, customer, source, stats, profile, combined, service])
    merchant = Entity(name="merchant", join_keys=["merchant_id"], value_type=ValueType.STRING,
                      description="A shop")
    stores["other"].apply([merchant])
    stores["other"].registry.apply_project(
        Project(name="other", description="another team"), commit=True)
    now = datetime(2026, 1, 2, tzinfo=timezone.utc)
    for days in (2, 1):
        stores["demo"].registry.apply_materialization(
            stats, "demo", now - timedelta(days=days), now - timedelta(days=days - 1), commit=True)


ENDPOINTS = [
    "/projects", "/projects/demo", "/projects/nope",
    "/entities?project=demo", "/entities?project=demo&include_relationships=true",
    "/entities?project=demo&page=1&limit=1", "/entities/all", "/entities/all?page=2&limit=1",
    "/entities/all?sort_by=project&sort_order=desc", "/entities/driver?project=demo",
    "/entities/driver?project=demo&include_relationships=true", "/entities/nope?project=demo",
    "/data_sources?project=demo", "/data_sources?project=demo&tags=team:ml",
    "/data_sources?project=demo&include_relationships=true", "/data_sources/all",
    "/data_sources/driver_stats_source?project=demo",
    "/feature_views?project=demo", "/feature_views?project=demo&include_relationships=true",
    "/feature_views?project=demo&entity=customer", "/feature_views?project=demo&tags=owner:rides",
    "/feature_views?project=demo&page=2&limit=2", "/feature_views/all",
    "/feature_views/driver_stats?project=demo",
    "/feature_views/driver_stats?project=demo&include_relationships=true",
    "/feature_views/nope?project=demo",
    "/feature_services?project=demo", "/feature_services?project=demo&feature_view=driver_stats",
    "/feature_services/all?include_relationships=true",
    "/feature_services/driver_service?project=demo",
    "/features?project=demo", "/features?project=demo&feature_view=driver_stats",
    "/features?project=demo&include_relationships=true", "/features/all",
    "/features/driver_stats/conv_rate?project=demo",
    "/saved_datasets?project=demo", "/saved_datasets/all", "/permissions?project=demo",
    "/label_views?project=demo", "/labels?project=demo",
    "/lineage/registry?project=demo", "/lineage/registry?project=demo&page=1&limit=2",
    "/lineage/registry/all", "/lineage/registry/all?filter_object_type=featureView",
    "/lineage/objects/featureView/driver_stats?project=demo",
    "/lineage/objects/entity/driver?project=demo&include_indirect=true",
    "/lineage/complete?project=demo", "/lineage/complete?project=demo&page=1&limit=1",
    "/lineage/complete/all",
    "/search?query=driver", "/search?query=", "/search?query=ml",
    "/search?query=driver&projects=demo&sort_by=name&sort_order=asc",
    "/search?query=drvier", "/search?query=conversion&projects=demo&projects=nope",
    "/search?query=driver&page=2&limit=2&sort_by=type", "/search?query=shop&tags=team:ml",
    "/metrics/resource_counts", "/metrics/resource_counts?project=demo",
    "/metrics/popular_tags", "/metrics/popular_tags?project=demo&limit=1",
    "/metrics/recently_visited", "/metrics/recently_visited?page=1&limit=5",
    "/materialization_jobs?project=demo", "/materialization_jobs?project=demo&page=1&limit=10",
]


class RestAgainstFeast(unittest.TestCase):
    backend = "sqlite"
    admin_url = None

    def test_every_endpoint_answers_as_feast(self):
        work = tempfile.mkdtemp(prefix="larder-rest-")
        http_port = free_port()
        larder = larder_runner.Larder(
            larder_runner.fresh_database(self.backend, self.admin_url, work), work,
            [f"--http-addr=127.0.0.1:{http_port}"])
        try:
            seed(larder.address, work)
            feast_side = FeastRest(larder.address)
            failures = []
            for endpoint in ENDPOINTS:
                want_status, want = feast_side.get(endpoint)
                try:
                    with urllib.request.urlopen(
                            f"http://127.0.0.1:{http_port}/api/v1{endpoint}", timeout=60) as r:
                        got_status, got = r.status, json.loads(r.read())
                except urllib.error.HTTPError as e:
                    got_status, got = e.code, json.loads(e.read())
                except Exception as e:  # noqa: BLE001 - report which endpoint broke the server
                    larder.log.seek(0)
                    self.fail(f"{endpoint}: {e!r}; larder's log:\n{larder.log.read()[-3000:]}")
                want = normalized(endpoint, want, feast_side=True)
                got = normalized(endpoint, got, feast_side=False)
                if os.environ.get("REST_TEST_DEBUG"):
                    print(f"{endpoint} -> {got_status} {json.dumps(got)[:300]}")
                problem = None
                if got_status != want_status:
                    problem = f"status {got_status} != {want_status}"
                else:
                    problem = first_difference(got, want)
                if problem:
                    failures.append(f"{endpoint}: {problem}\n  larder: {json.dumps(got)[:600]}"
                                    f"\n  feast:  {json.dumps(want)[:600]}")
            print(f"[{self.backend}] {len(ENDPOINTS) - len(failures)}/{len(ENDPOINTS)} "
                  "endpoints answer as Feast's REST handlers do")
            self.assertFalse(failures, "\n".join(failures))
        finally:
            larder.stop()
            shutil.rmtree(work, ignore_errors=True)


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: rest_api_sdk_test.py LARDER_BINARY")
    larder_runner.LARDER = os.path.abspath(sys.argv.pop(1))
    suite = unittest.TestSuite()
    for backend, url in larder_runner.scratch_urls():
        case = type(f"RestAgainstFeast_{backend}", (RestAgainstFeast,),
                    {"backend": backend, "admin_url": url})
        suite.addTests(unittest.defaultTestLoader.loadTestsFromTestCase(case))
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    sys.exit(0 if result.wasSuccessful() else 1)


if __name__ == "__main__":
    main()
