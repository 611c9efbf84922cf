"""/metrics of the real larder binary (SQLite) read by a strict Prometheus text-format (0.0.4)
parser: HELP and TYPE once per family and before its samples, the name and label grammar,
label value escapes, no duplicate series, counters not negative, histograms with ascending
cumulative buckets ending in +Inf equal to _count. Then calls made through gRPC and REST move
the per-method and per-front-end counters, and a failed call is counted under its code.

Usage (via run-python-client-test.sh): metrics_test.py LARDER_BINARY
"""
import math
import os
import re
import shutil
import socket
import tempfile
import time
import unittest
import urllib.error
import urllib.request

import larder
import servers

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


class ParseError(Exception):
    pass


def parse_value(text, line):
    if text in ("+Inf", "Inf"):
        return math.inf
    if text == "-Inf":
        return -math.inf
    if text == "NaN":
        return math.nan
    if not re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", text):
        raise ParseError(f"bad value {text!r} in {line!r}")
    return float(text)


def parse_labels(text, line):
    """`text` starts just after '{'; returns (labels dict, rest after '}')."""
    labels, i = {}, 0
    while True:
        if text[i:i + 1] == "}":
            return labels, text[i + 1:]
        m = LABEL_NAME.match(text, i)
        if not m or text[m.end():m.end() + 2] != '="':
            raise ParseError(f"bad label at {text[i:]!r} in {line!r}")
        name, i = m.group(0), m.end() + 2
        value = []
        while True:
            if i >= len(text):
                raise ParseError(f"unterminated label value in {line!r}")
            c = text[i]
            if c == "\\":
                escaped = text[i + 1:i + 2]
                if escaped not in ("\\", '"', "n"):
                    raise ParseError(f"bad escape \\{escaped} in {line!r}")
                value.append("\n" if escaped == "n" else escaped)
                i += 2
            elif c == '"':
                i += 1
                break
            elif c == "\n":
                raise ParseError(f"raw newline in label value in {line!r}")
            else:
                value.append(c)
                i += 1
        if name in labels:
            raise ParseError(f"label {name} twice in {line!r}")
        labels[name] = "".join(value)
        if text[i:i + 1] == ",":
            i += 1
        elif text[i:i + 1] != "}":
            raise ParseError(f"expected , or }} after label in {line!r}")


def family_of(name, types):
    for suffix in ("_bucket", "_sum", "_count"):
        base = name[:-len(suffix)] if name.endswith(suffix) else None
        if base and types.get(base) in ("histogram", "summary"):
            return base
    return name


def parse(text):
    """{family: {"type", "help", "samples": [(name, labels, value)]}}; raises ParseError."""
    if not text.endswith("\n"):
        raise ParseError("the exposition must end with a newline")
    families, types, seen_series, finished = {}, {}, set(), set()
    current = None
    for line in text[:-1].split("\n"):
        if line == "":
            continue
        if line.startswith("#"):
            parts = line.split(" ", 3)
            if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                name = parts[2]
                if not NAME.fullmatch(name):
                    raise ParseError(f"bad metric name in {line!r}")
                family = families.setdefault(name, {"type": None, "help": None,
                                                    "samples": []})
                if family["samples"]:
                    raise ParseError(f"{parts[1]} after samples of {name}")
                key = parts[1].lower()
                if family[key] is not None:
                    raise ParseError(f"second {parts[1]} for {name}")
                rest = parts[3] if len(parts) == 4 else ""
                if key == "type":
                    if rest not in TYPES:
                        raise ParseError(f"bad type in {line!r}")
                    types[name] = rest
                elif re.search(r"\\([^\\n]|$)", re.sub(r"\\[\\n]", "", rest)):
                    raise ParseError(f"bad escape in HELP {line!r}")
                family[key] = rest
                if current is not None and current != name:
                    finished.add(current)
                current = name
            continue
        m = NAME.match(line)
        if not m:
            raise ParseError(f"bad sample line {line!r}")
        name, rest = m.group(0), line[m.end():]
        labels = {}
        if rest.startswith("{"):
            labels, rest = parse_labels(rest[1:], line)
        if not rest.startswith(" "):
            raise ParseError(f"no space before the value in {line!r}")
        fields = rest[1:].split(" ")
        if len(fields) > 2 or (len(fields) == 2 and not re.fullmatch(r"-?\d+", fields[1])):
            raise ParseError(f"bad value or timestamp in {line!r}")
        value = parse_value(fields[0], line)
        family = family_of(name, types)
        if family in finished:
            raise ParseError(f"samples of {family} are not together: {line!r}")
        if current is not None and current != family:
            finished.add(current)
        current = family
        series = (name, tuple(sorted(labels.items())))
        if series in seen_series:
            raise ParseError(f"duplicate series {line!r}")
        seen_series.add(series)
        families.setdefault(family, {"type": None, "help": None, "samples": []})
        families[family]["samples"].append((name, labels, value))
    for name, family in families.items():
        check_family(name, family)
    return families


def check_family(name, family):
    kind = family["type"] or "untyped"
    if kind == "counter":
        for sample_name, labels, value in family["samples"]:
            if value < 0 or math.isnan(value):
                raise ParseError(f"counter {sample_name}{labels} is {value}")
    if kind != "histogram":
        return
    groups = {}
    for sample_name, labels, value in family["samples"]:
        key = tuple(sorted((k, v) for k, v in labels.items() if k != "le"))
        group = groups.setdefault(key, {"buckets": [], "sum": None, "count": None})
        if sample_name == name + "_bucket":
            if "le" not in labels:
                raise ParseError(f"{sample_name} without le")
            group["buckets"].append((parse_value(labels["le"], sample_name), value))
        elif sample_name == name + "_sum":
            group["sum"] = value
        elif sample_name == name + "_count":
            group["count"] = value
        else:
            raise ParseError(f"{sample_name} in histogram {name}")
    for key, group in groups.items():
        bounds = [b for b, _ in group["buckets"]]
        counts = [c for _, c in group["buckets"]]
        if not bounds or bounds[-1] != math.inf:
            raise ParseError(f"{name}{key}: last bucket is not +Inf")
        if bounds != sorted(bounds) or len(set(bounds)) != len(bounds):
            raise ParseError(f"{name}{key}: bucket bounds not ascending")
        if counts != sorted(counts):
            raise ParseError(f"{name}{key}: buckets not cumulative")
        if group["count"] is None or group["sum"] is None:
            raise ParseError(f"{name}{key}: no _count or _sum")
        if counts[-1] != group["count"]:
            raise ParseError(f"{name}{key}: +Inf bucket {counts[-1]} != _count {group['count']}")


class ParserTest(unittest.TestCase):
    """The parser refuses what Prometheus would."""

    def test_rejects(self):
        bad = [
            "x 1",  # no final newline
            "1x 1\n",
            'x{a="b} 1\n',
            'x{a="\\t"} 1\n',
            "x{a=\"b\",a=\"c\"} 1\n",
            "x 1\nx 2\n",
            "# TYPE x counter\nx -1\n",
            "# TYPE x counter\n# TYPE x gauge\nx 1\n",
            "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\n"
            "h_sum 1\nh_count 1\n",
            "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n",
            "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 1\n",
            "# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\na{x=\"1\"} 1\n",
        ]
        for text in bad:
            with self.assertRaises(ParseError, msg=text):
                parse(text)

    def test_accepts(self):
        families = parse('# HELP x a \\\\ b\n# TYPE x gauge\nx{a="q\\"\\n\\\\"} +Inf 123\n')
        self.assertEqual(families["x"]["samples"][0][1], {"a": 'q"\n\\'})


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def value(families, family, sample=None, **labels):
    total = 0.0
    for name, got, v in families[family]["samples"]:
        if name == (sample or family) and all(got.get(k) == want for k, want in labels.items()):
            total += v
    return total


class MetricsTest(unittest.TestCase):
    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="larder-metrics-")
        self.db = servers.ScratchDatabase("sqlite", None, self.work)
        self.http = f"127.0.0.1:{free_port()}"
        self.server = servers.Larder(self.db.url, self.work,
                                     extra_args=[f"--http-addr={self.http}"])

    def tearDown(self):
        self.server.stop()
        shutil.rmtree(self.work, ignore_errors=True)

    def scrape(self):
        # The HTTP listener may start a moment after the gRPC serving line.
        deadline = time.monotonic() + 10
        while True:
            try:
                response = urllib.request.urlopen(f"http://{self.http}/metrics", timeout=10)
                break
            except urllib.error.URLError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        with response as r:
            self.assertEqual(r.headers["Content-Type"], "text/plain; version=0.0.4")
            return parse(r.read().decode())

    def test_parses_and_counters_move(self):
        before = self.scrape()
        for family in ("larder_calls_started_total", "larder_calls_handled_total",
                       "larder_call_duration_seconds", "larder_calls_in_flight",
                       "larder_db_pool_connections_in_use", "larder_db_transactions_total",
                       "larder_snapshot_revision", "process_resident_memory_bytes"):
            self.assertIn(family, before)
            self.assertIsNotNone(before[family]["help"], family)
            self.assertIsNotNone(before[family]["type"], family)
        method = "larder.v1.Registry/GetServerInfo"
        with larder.LarderClient(self.server.address, max_attempts=1) as c:
            for _ in range(3):
                c.get_server_info()
            with self.assertRaises(larder.LarderError) as failed:
                c.get_object_history("shop", "no_such_kind", "x")
        try:
            urllib.request.urlopen(f"http://{self.http}/api/v1/projects", timeout=10).read()
        except urllib.error.HTTPError:
            pass
        after = self.scrape()

        def moved(family, sample=None, **labels):
            return value(after, family, sample, **labels) - value(before, family, sample,
                                                                  **labels)

        self.assertEqual(moved("larder_calls_started_total", front_end="grpc",
                               method=method), 3, after["larder_calls_started_total"])
        self.assertEqual(moved("larder_calls_handled_total", front_end="grpc", method=method,
                               code="OK"), 3)
        self.assertEqual(moved("larder_call_duration_seconds",
                               "larder_call_duration_seconds_count", front_end="grpc",
                               method=method), 3)
        self.assertEqual(moved("larder_calls_handled_total", front_end="grpc",
                               code=failed.exception.code.name), 1,
                         after["larder_calls_handled_total"])
        self.assertEqual(moved("larder_calls_started_total", front_end="http",
                               method="feast.registry.RegistryServer/ListProjects"), 1)


if __name__ == "__main__":
    import sys
    servers.run_suite([], sys.argv, once=[ParserTest, MetricsTest])
