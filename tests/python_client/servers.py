"""Real larder processes and scratch databases for the Python client tests.

Backends: SQLite always; PostgreSQL / MariaDB when LARDER_TEST_POSTGRES_URL /
LARDER_TEST_MYSQL_URL name an admin database (tests/README: /work/test-dbs.env); with
LARDER_TEST_REQUIRE_ALL_BACKENDS=1 a missing one is an error, not a skip.
"""
import os
import re
import signal
import subprocess
import uuid

LARDER = None  # the binary; set by each test's main()


def backends():
    """[(name, admin_url or None)] of the backends to run on."""
    out = [("sqlite", None)]
    for name, var in (("postgres", "LARDER_TEST_POSTGRES_URL"),
                      ("mysql", "LARDER_TEST_MYSQL_URL")):
        if os.environ.get(var):
            out.append((name, os.environ[var]))
        elif os.environ.get("LARDER_TEST_REQUIRE_ALL_BACKENDS") == "1":
            raise RuntimeError(f"{var} is not set but LARDER_TEST_REQUIRE_ALL_BACKENDS=1")
    return out


def _mariadb(admin_url, sql):
    m = re.match(r"mysql://([^:]+):([^@]+)@([^:]+):(\d+)/", admin_url)
    subprocess.run(["mariadb", "--no-defaults", f"-u{m.group(1)}", f"-p{m.group(2)}",
                    f"-h{m.group(3)}", f"-P{m.group(4)}", "-e", sql], check=True)


class ScratchDatabase:
    """A new empty database on the backend (SQLite: a file in workdir); drop() removes it."""

    def __init__(self, backend, admin_url, workdir):
        self.backend, self.admin_url = backend, admin_url
        if backend == "sqlite":
            self.url = f"sqlite:///{os.path.join(workdir, 'registry.db')}"
            return
        self.name = "pyclient_" + uuid.uuid4().hex[:12]
        if backend == "postgres":
            subprocess.run(["psql", admin_url, "-qc", f"CREATE DATABASE {self.name}"], check=True)
        else:
            _mariadb(admin_url, f"CREATE DATABASE {self.name}")
        self.url = admin_url.rsplit("/", 1)[0] + "/" + self.name

    def drop(self):
        if self.backend == "postgres":
            subprocess.run(["psql", self.admin_url, "-qc",
                            f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)"], check=False)
        elif self.backend == "mysql":
            _mariadb(self.admin_url, f"DROP DATABASE IF EXISTS {self.name}")


class Larder:
    """A larder process serving `db_url` on 127.0.0.1:`port` (0: a free one)."""

    def __init__(self, db_url, workdir, port=0, extra_args=()):
        self.log = open(os.path.join(workdir, f"larder-{uuid.uuid4().hex[:6]}.log"), "w+")
        self.proc = subprocess.Popen(
            [LARDER, "serve", f"--db={db_url}", "--migrate", f"--addr=127.0.0.1:{port}",
             # No HTTP listener (several test servers would want its one default port) and no
             # drain window (tests stop servers with SIGTERM).
             "--cache-poll-ms=200", "--http-addr=", "--drain-seconds=0", *extra_args],
            stdout=subprocess.PIPE, stderr=self.log, text=True, cwd=workdir)
        line = self.proc.stdout.readline()
        m = re.search(r"serving .* on 127\.0\.0\.1:(\d+)", line)
        if not m:
            self.proc.kill()
            self.log.seek(0)
            raise RuntimeError(f"larder did not start: {line!r} {self.log.read()}")
        self.port = int(m.group(1))
        self.address = f"127.0.0.1:{self.port}"

    def kill(self):
        """SIGKILL: the process dies mid-whatever, as in a crash."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        self.log.close()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if not self.log.closed:
            self.log.close()


def run_suite(test_case_classes, argv, once=()):
    """main() of a test script: LARDER_BINARY as argv[1]; each class of test_case_classes once
    per backend, those of `once` on SQLite only."""
    import sys
    import unittest

    global LARDER
    LARDER = os.path.abspath(argv[1])
    suite = unittest.TestSuite()
    loader = unittest.TestLoader()
    for base in test_case_classes:
        for backend, url in backends():
            cls = type(f"{base.__name__}_{backend}", (base,),
                       {"backend": backend, "admin_url": url})
            suite.addTests(loader.loadTestsFromTestCase(cls))
    for cls in once:
        suite.addTests(loader.loadTestsFromTestCase(cls))
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    sys.exit(0 if result.wasSuccessful() else 1)
