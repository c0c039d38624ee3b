"""HTTP benchmark: coopkg serve, oxigraph serve and rdflib-endpoint on one graph, in one run.

Every server is started here on 127.0.0.1, loaded with the same synthetic graph (bench/generate.py),
probed once per query (status, row count, latency), then driven by wrk for a fixed duration per
cell at each connection count. All servers are started first; then, query by query, each is
driven in turn (so a disturbance on the shared machine does not fall on one only). Every server
is killed at the end, whatever happens.

    python bench/http_bench.py            # 1M triples, 6 s per cell (about 14 minutes)
    python bench/http_bench.py --quick    # 100k triples, 3 s per cell
    python bench/http_bench.py --servers oxigraph,rdflib --queries point,groupby

Results: a Markdown table on stdout and in bench/out/results.md, every figure in results.json.
wrk comes from Debian's package (`apt-get install -y wrk`).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import httpx
from coopkg.query.resource import description_query

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import OUT_DIR, SYN, cooperative_iri, ensure_graph  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
LUA = HERE / "sparql.lua"
JSON_RESULTS = "application/sparql-results+json"
HOST = "127.0.0.1"

# ---------------------------------------------------------------------------------------------
# Queries. `__S__` is replaced by a cooperative IRI picked at random per request; `__N__` by a
# number unique to each request (as a LIMIT far above the result size, so the result and the
# work are unchanged but no two requests are the same query: no result cache answers them).
# The "cached" rows repeat one identical query on purpose.

PREFIXES = """PREFIX coop: <https://w3id.org/coops4dev/ontology#>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX schema: <https://schema.org/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""
FIXED = "__F__"  # replaced by one fixed cooperative (the cached rows)


@dataclass(frozen=True)
class Query:
    key: str
    title: str
    kind: str  # "point", "engine", "cached" or "deref": which target applies
    text: str  # without prefixes; may hold __S__, __N__ and __F__
    description: str
    # A linked-data document instead of a SPARQL query: the URL path (with __S__, the subject's
    # path below the base, or __F__) and the Accept header. Only coopkg serves these.
    path: str = ""
    accept: str = JSON_RESULTS

    def sparql(self, fixed: str = "") -> str:
        return PREFIXES + self.text.replace(FIXED, fixed)

    def probe_text(self, subject: str) -> str:
        """The query as the probe sends it: a fixed subject and tag, the same for every server."""
        return self.sparql(subject).replace("__S__", subject).replace("__N__", "999999999")


GROUP_BY = f"""SELECT ?sector (COUNT(DISTINCT ?coop) AS ?coops) (SUM(?n) AS ?members) WHERE {{
  ?fig a coop:Figure ; schema:observationAbout ?coop ;
       coop:measure <{SYN}measure/cooperative-members> ; schema:value ?n .
  ?coop org:classification ?sector .
}} GROUP BY ?sector ORDER BY DESC(?members)"""

DEREF_DESCRIPTION = (
    "Dereferencing one cooperative's IRI: its {} document (its statements, the statements that "
    "point to it, the labels of what it links to, and each statement's source), the subject "
    "picked at random per request."
)

# The rows a linked-data document is made of (coopkg.query.resource's description query), as
# any SPARQL endpoint answers them: what `oxigraph serve` would have to evaluate to serve the
# document, and so the engine's side of the documents' cells.
DESCRIBE = description_query("__S__") + " LIMIT __N__"

QUERIES = [
    Query(
        "point",
        "point lookup",
        "point",
        "SELECT ?p ?o WHERE { <__S__> ?p ?o } LIMIT __N__",
        "Every property of one cooperative (about ten rows); the subject is picked at random "
        "per request among all cooperatives.",
    ),
    Query(
        "join",
        "join (seat → city → country)",
        "engine",
        f"""SELECT ?coop ?city ?fedLabel WHERE {{
  ?city schema:containedInPlace <{SYN}country/ke> .
  ?site schema:containedInPlace ?city .
  ?coop org:hasPrimarySite ?site ; org:memberOf ?fed .
  ?fed org:memberOf <{SYN}organisation/alliance> ; skos:prefLabel ?fedLabel .
  FILTER(LANG(?fedLabel) = "en")
}} LIMIT __N__""",
        "Cooperatives seated in one country (through their site and its city) with the English "
        "name of their federation, where that federation is a member of the alliance: "
        "1/60 of the cooperatives.",
    ),
    Query(
        "groupby",
        "aggregation (GROUP BY)",
        "engine",
        GROUP_BY + " LIMIT __N__",
        "Number of cooperatives and summed membership figures per sector, over every figure.",
    ),
    Query(
        "text",
        "text filter (CONTAINS)",
        "engine",
        """SELECT ?coop ?label WHERE {
  ?coop a coop:MemberOrganisation ; skos:prefLabel ?label .
  FILTER(CONTAINS(LCASE(?label), "lakeside"))
} LIMIT __N__""",
        "Member organisations whose name contains a word, case-insensitively, over every "
        "label in both languages (1 in 40 English names match).",
    ),
    Query(
        "orderby",
        "paged ORDER BY",
        "engine",
        """SELECT ?coop ?label WHERE {
  {
    SELECT ?coop ?label WHERE {
      ?coop a coop:MemberOrganisation ; skos:prefLabel ?label .
      FILTER(LANG(?label) = "en")
    } ORDER BY ?label ?coop LIMIT 10 OFFSET 1000
  }
} LIMIT __N__""",
        "The 101st page of 10 member organisations sorted by English name (ORDER BY ... LIMIT "
        "10 OFFSET 1000), in a subquery only to carry the per-request tag.",
    ),
    Query(
        "cached-point",
        "cached repeat: point lookup",
        "cached",
        "SELECT ?p ?o WHERE { <__F__> ?p ?o }",
        "One identical point lookup, repeated: a result cache may answer it.",
    ),
    Query(
        "cached-groupby",
        "cached repeat: GROUP BY",
        "cached",
        GROUP_BY,
        "The aggregation, repeated identically: a result cache may answer it.",
    ),
    Query(
        "describe",
        "description (a document's rows)",
        "engine",
        DESCRIBE,
        "The SELECT that gives a linked-data document its rows (coopkg.query.resource): one "
        "cooperative's statements and those pointing to it, with their named graphs, and the "
        "labels and types of what they link to; the subject picked at random per request. What "
        "an engine alone must evaluate to serve a document: the engine's side of the "
        "documents' cells.",
    ),
    Query(
        "deref-ttl",
        "dereference: Turtle",
        "deref",
        "",
        DEREF_DESCRIPTION.format("Turtle"),
        path="/id/__S__",
        accept="text/turtle",
    ),
    Query(
        "deref-html",
        "dereference: HTML page",
        "deref",
        "",
        DEREF_DESCRIPTION.format("HTML"),
        path="/id/__S__",
        accept="text/html",
    ),
    Query(
        "cached-deref-ttl",
        "cached repeat: dereference, Turtle",
        "cached",
        "",
        "One cooperative's Turtle document, the same on every request.",
        path="/id/__F__",
        accept="text/turtle",
    ),
    Query(
        "cached-deref-html",
        "cached repeat: dereference, HTML",
        "cached",
        "",
        "One cooperative's HTML page, the same on every request.",
        path="/id/__F__",
        accept="text/html",
    ),
]
QUERY_KEYS = [q.key for q in QUERIES]


# ---------------------------------------------------------------------------------------------
# Processes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(entry.name))
    return kids


def process_tree(pid: int) -> list[int]:
    kids = _children()
    tree, todo = [], [pid]
    while todo:
        p = todo.pop()
        tree.append(p)
        todo.extend(kids.get(p, []))
    return tree


def tree_cpu_seconds(pid: int) -> float:
    total = 0
    for p in process_tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def tree_memory_bytes(pid: int) -> int:
    """Memory of a process tree: the sum of PSS (shared pages divided among their sharers, so the
    store that coopkg's query workers share copy-on-write is counted once), RSS where the kernel
    gives no smaps_rollup."""
    total = 0
    for p in process_tree(pid):
        try:
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1]) * 1024
                    break
        except OSError:
            try:
                pages = int(Path(f"/proc/{p}/statm").read_text().split()[1])
                total += pages * os.sysconf("SC_PAGE_SIZE")
            except OSError:
                continue
    return total


class CpuAccount:
    """CPU time of a server and of every process it ever started, the ones that have ended
    included (coopkg's query workers can retire after a single query, and an exited process's
    time is lost to /proc once the kernel has reaped it): a cgroup-v1 `cpuacct` group of its own,
    where the machine offers one to root; else None and the live process tree is summed."""

    ROOT = Path("/sys/fs/cgroup/cpuacct")

    def __init__(self, name: str) -> None:
        self.path = self.ROOT / f"coopkg-bench-{os.getpid()}-{name}"

    def open(self, pid: int) -> bool:
        try:
            self.path.mkdir(exist_ok=True)
            (self.path / "cgroup.procs").write_text(str(pid))
            return True
        except OSError:
            return False

    def seconds(self) -> float:
        return int((self.path / "cpuacct.usage").read_text()) / 1e9

    def close(self) -> None:
        for _ in range(50):  # a group can be removed once its last process has gone
            try:
                self.path.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:
                time.sleep(0.1)


def machine_busy_seconds() -> float:
    """CPU seconds spent busy by the whole machine since boot (all cores)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def find_tool(name: str) -> str | None:
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    return shutil.which(name)


class ServerError(RuntimeError):
    pass


def export_revision(revision: str) -> Path:
    """The package folder (endpoint/) of a git revision, exported under the results folder with
    the graph folders and pyproject.toml beside it, so that the package finds them as in a
    checkout (newer revisions read ontology/ and shapes/ at start-up)."""
    target = OUT_DIR / f"baseline-{revision}"
    if not (target / "pyproject.toml").is_file():
        target.mkdir(parents=True, exist_ok=True)
        paths = ["endpoint", "pyproject.toml", "ontology", "data", "shapes", "queries"]
        archive = subprocess.run(
            ["git", "archive", revision, *paths], cwd=ROOT, capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target / "endpoint"


def _version_of(exe: str) -> str:
    done = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=30)
    return done.stdout.strip()


def _find_probe(probes: list, server: str, query: str):
    return next((p for p in probes if p.server == server and p.query == query), None)


@dataclass
class Server:
    """One server under test. Subclasses say how to start it and where its endpoint is."""

    name: str = ""
    label: str = ""
    parallelism: int = 2  # how many queries it can evaluate at once (for the skip estimate)
    graph: Path = Path()
    startup_timeout: float = 600.0
    proc: subprocess.Popen | None = None
    port: int = 0
    log: Path | None = None
    load_seconds: float = 0.0
    memory_bytes: int = 0
    mode: str = ""
    version: str = ""
    notes: list[str] = field(default_factory=list)
    _scratch: Path | None = None
    _account: CpuAccount | None = None

    # -- to override
    query_path = "/sparql"
    dereferences = False  # serves linked-data documents at /id/...

    def command(self) -> list[str]:
        raise NotImplementedError

    def after_start(self, client: httpx.Client) -> None:
        """Load data once the process answers (for servers loaded over HTTP)."""

    def environment(self) -> dict[str, str] | None:
        """The process's environment (None: this one's)."""
        return None

    def prepare(self) -> None:
        """Work done before the process starts (counted in the load time)."""

    # -- common
    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def endpoint(self) -> str:
        return self.base + self.query_path

    def start(self) -> None:
        self.port = free_port()
        self.log = OUT_DIR / f"server-{self.name}.log"
        started = time.perf_counter()
        self.prepare()
        cmd = self.command()
        with open(self.log, "wb") as log:
            log.write(("$ " + shlex.join(cmd) + "\n").encode())
            log.flush()
            self.proc = subprocess.Popen(
                cmd,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=ROOT,
                env=self.environment(),
                start_new_session=True,
            )
        account = CpuAccount(self.name)
        self._account = account if account.open(self.proc.pid) else None
        with httpx.Client(timeout=60.0) as client:
            self._wait_ready(client, started, initial=True)
            self.after_start(client)
            self._wait_ready(client, started, initial=False)
        self.load_seconds = time.perf_counter() - started
        time.sleep(0.5)
        self.memory_bytes = tree_memory_bytes(self.proc.pid)

    def _wait_ready(self, client: httpx.Client, started: float, initial: bool) -> None:
        deadline = started + self.startup_timeout
        while True:
            if self.proc.poll() is not None:
                tail = self.log.read_text(errors="replace")[-2000:] if self.log else ""
                raise ServerError(f"{self.name} exited with {self.proc.returncode}:\n{tail}")
            try:
                r = client.get(
                    self.endpoint,
                    params={"query": "ASK { ?s ?p ?o }"},
                    headers={"Accept": JSON_RESULTS},
                )
                if r.status_code == 200 and (initial or r.json().get("boolean")):
                    return
                if r.status_code in (404, 405):
                    raise ServerError(f"{self.name}: {self.endpoint} answers {r.status_code}")
            except (httpx.HTTPError, ValueError):
                pass
            if time.perf_counter() > deadline:
                raise ServerError(f"{self.name} not ready after {self.startup_timeout:.0f} s")
            time.sleep(0.25)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            pgid = self.proc.pid  # the process group we created (start_new_session)
            try:
                os.killpg(pgid, signal.SIGTERM)
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(pgid, signal.SIGKILL)
                self.proc.wait(timeout=10)
            except ProcessLookupError:
                pass
        self.proc = None
        if self._account is not None:
            self._account.close()
            self._account = None
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def cpu_seconds(self) -> float:
        if self.proc is None:
            return 0.0
        if self._account is not None:
            try:
                return self._account.seconds()
            except OSError:
                self._account = None
        return tree_cpu_seconds(self.proc.pid)

    def wait_idle(self, max_wait: float, window: float = 0.5) -> float | None:
        """Wait until the server's processes use (almost) no CPU: the work left behind by a run
        (queries still being evaluated after wrk stopped) is done. Seconds waited, or None."""
        start = time.perf_counter()
        before = self.cpu_seconds()
        while time.perf_counter() - start < max_wait:
            time.sleep(window)
            now = self.cpu_seconds()
            if now - before < 0.05 * window:
                return time.perf_counter() - start
            before = now
        return None


class CoopkgServer(Server):
    """coopkg serve from this checkout, or (with `source`, a folder holding the `coopkg` package
    of another revision) that revision's code in this environment, for before/after runs.
    `env` adds environment variables (COOPKG_CACHE_ENTRIES=0: no result or document cache)."""

    dereferences = True

    def __init__(
        self,
        graph: Path,
        extra: list[str],
        name: str = "coopkg",
        label: str = "coopkg serve",
        source: Path | None = None,
        revision: str = "",
        env: dict[str, str] | None = None,
    ) -> None:
        super().__init__(name=name, label=label, graph=graph)
        self.env = env or {}
        self.extra = extra
        self.source = source
        self.revision = revision
        self.mode = "pyoxigraph in memory" + (f" ({' '.join(extra)})" if extra else "")

    def environment(self) -> dict[str, str] | None:
        if self.source is None and not self.env:
            return None
        extra = {"PYTHONPATH": str(self.source)} if self.source is not None else {}
        return {**os.environ, **extra, **self.env}

    def command(self) -> list[str]:
        if self.source is not None:
            self.version = f"coopkg @ {self.revision}"
            return [sys.executable, "-m", "coopkg.cli", "serve", "--host", HOST, "--port",
                    str(self.port), *self.extra, str(self.graph)]  # fmt: skip
        exe = find_tool("coopkg")
        if exe is None:
            raise ServerError("coopkg is not installed in this environment (make install)")
        try:
            from coopkg import __version__

            self.version = f"coopkg {__version__} @ {checkout_version()}"
        except ImportError:
            pass
        return [
            exe,
            "serve",
            "--host",
            HOST,
            "--port",
            str(self.port),
            *self.extra,
            str(self.graph),
        ]


class CoopkgGranian(CoopkgServer):
    """The same application under granian (bench/granian_app.py) instead of uvicorn."""

    def __init__(self, graph: Path, workers: int, name: str) -> None:
        super().__init__(
            graph,
            [],
            name=name,
            label=f"coopkg under granian --workers {workers}",
            env={"COOPKG_GRAPH_PATHS": json.dumps([str(graph)])},
        )
        self.workers = workers
        self.mode = f"pyoxigraph in memory, granian {workers} worker(s)"

    def command(self) -> list[str]:
        exe = find_tool("granian")
        if exe is None:
            raise ServerError("granian is not installed (pip install granian)")
        self.version = _version_of(exe)
        return [exe, "--interface", "asgi", "--factory", "--loop", "uvloop",
                "--workers", str(self.workers), "--host", HOST, "--port", str(self.port),
                "--log-level", "warning", "--working-dir", str(Path(__file__).parent),
                "granian_app:app"]  # fmt: skip


class OxigraphMemory(Server):
    query_path = "/query"

    def __init__(self, graph: Path) -> None:
        super().__init__(
            name="oxigraph",
            label="oxigraph serve (memory)",
            graph=graph,
            mode="in memory, loaded by HTTP POST /store",
        )

    def command(self) -> list[str]:
        exe = find_tool("oxigraph")
        if exe is None:
            raise ServerError("the oxigraph CLI is not installed (pip install oxigraph)")
        self.version = _version_of(exe)
        return [exe, "serve", "--bind", f"{HOST}:{self.port}"]

    def after_start(self, client: httpx.Client) -> None:
        with open(self.graph, "rb") as fh:
            r = client.post(
                self.base + "/store",
                params={"default": ""},
                content=fh,
                headers={"Content-Type": "application/n-triples"},
                timeout=600.0,
            )
        if r.status_code >= 300:
            raise ServerError(f"oxigraph load failed: {r.status_code} {r.text[:300]}")


class OxigraphDisk(Server):
    query_path = "/query"

    def __init__(self, graph: Path) -> None:
        super().__init__(
            name="oxigraph-ro",
            label="oxigraph serve-read-only (disk)",
            graph=graph,
            mode="on disk (RocksDB), `oxigraph load` then `serve-read-only`",
        )

    def prepare(self) -> None:
        exe = find_tool("oxigraph")
        if exe is None:
            raise ServerError("the oxigraph CLI is not installed (pip install oxigraph)")
        self.version = _version_of(exe)
        self._scratch = Path(tempfile.mkdtemp(prefix="oxigraph-", dir=OUT_DIR))
        done = subprocess.run(
            [exe, "load", "--location", str(self._scratch), "--file", str(self.graph)],
            capture_output=True,
            text=True,
            timeout=900,
        )
        if done.returncode != 0:
            raise ServerError(f"oxigraph load failed: {done.stderr[-1000:]}")

    def command(self) -> list[str]:
        exe = find_tool("oxigraph")
        return [
            exe,
            "serve-read-only",
            "--location",
            str(self._scratch),
            "--bind",
            f"{HOST}:{self.port}",
        ]


class RdflibEndpoint(Server):
    query_path = "/"

    def __init__(self, graph: Path) -> None:
        super().__init__(
            name="rdflib",
            label="rdflib-endpoint",
            graph=graph,
            parallelism=1,
            mode="`rdflib-endpoint serve` (rdflib memory store, its CLI's defaults)",
        )

    def command(self) -> list[str]:
        exe = find_tool("rdflib-endpoint")
        if exe is None:
            raise ServerError("rdflib-endpoint is not installed (pip install rdflib-endpoint)")
        try:
            from importlib.metadata import version

            ours = version("rdflib-endpoint")
            self.version = f"rdflib-endpoint {ours}, rdflib {version('rdflib')}"
        except Exception:  # noqa: BLE001 - a version string is a nicety
            pass
        return [exe, "serve", "--host", HOST, "--port", str(self.port), str(self.graph)]


# "coopkg" is `make serve`'s defaults (two HTTP processes); "coopkg-w1" one process.
SERVER_KEYS = ["coopkg", "coopkg-w1", "coopkg-nocache", "oxigraph", "oxigraph-ro", "rdflib"]
# Run only when named in --servers (granian is not a dependency: pip install granian).
OPTIONAL_SERVER_KEYS = ["coopkg-w2", "coopkg-granian", "coopkg-granian-w2"]


# ---------------------------------------------------------------------------------------------
# Driving


@dataclass
class Cell:
    server: str
    query: str
    connections: int
    status: str = "ok"  # ok | skipped | timeout | error | not run
    seconds: float | None = None  # how long wrk ran
    rps: float | None = None
    rps_upper_bound: float | None = None
    p50_ms: float | None = None
    p90_ms: float | None = None
    p99_ms: float | None = None
    requests: int = 0
    bytes_per_response: float | None = None  # headers included: a check that answers are whole
    errors: dict = field(default_factory=dict)
    server_cpu: float | None = None  # cores used by the server during the run
    wrk_cpu: float | None = None  # cores used by wrk
    other_cpu: float | None = None  # cores used by everything else on the machine meanwhile
    drain_seconds: float | None = None
    note: str = ""


@dataclass
class Probe:
    server: str
    query: str
    status: int | None = None
    rows: int | None = None
    seconds: float | None = None
    error: str = ""


def probe(
    client: httpx.Client, server: Server, query: Query, subject: str, timeout: float
) -> Probe:
    result = Probe(server.name, query.key)
    if query.path and not server.dereferences:
        result.error = "no linked-data documents on this server"
        return result
    started = time.perf_counter()
    try:
        if query.path:
            url = server.base + query.path.replace("__S__", local_path(subject))
            r = client.get(url.replace("__F__", local_path(subject)),
                           headers={"Accept": query.accept}, timeout=timeout)  # fmt: skip
        else:
            r = client.get(
                server.endpoint,
                params={"query": query.probe_text(subject)},
                headers={"Accept": JSON_RESULTS},
                timeout=timeout,
            )
        result.seconds = time.perf_counter() - started
        result.status = r.status_code
        if r.status_code != 200:
            result.error = r.text[:300]
        elif query.path:
            result.rows = r.text.count("\n")  # lines of the document
        else:
            result.rows = len(r.json()["results"]["bindings"])
    except httpx.TimeoutException:
        result.seconds = time.perf_counter() - started
        result.error = f"timeout after {timeout:g} s"
    except (httpx.HTTPError, ValueError, KeyError) as exc:
        result.error = f"{type(exc).__name__}: {exc}"[:300]
    return result


def local_path(iri: str) -> str:
    """A synthetic IRI's path below `/id/` (where coopkg serves its document)."""
    return iri.split("/id/", 1)[1]


def write_plan(path: Path, server: Server, query: Query, subjects: list[str]) -> None:
    fixed = subjects[len(subjects) // 2]
    if query.path:
        template = query.path.replace("__F__", local_path(fixed))
        values = [local_path(s) for s in subjects] if "__S__" in template else ["-"]
        lines = [template, query.accept, *(quote(v, safe="/") for v in values)]
    else:
        text = query.sparql(fixed)
        values = subjects if "__S__" in text else ["-"]
        template = server.query_path + "?query=" + quote(text, safe="")
        lines = [template, JSON_RESULTS, *(quote(v, safe="") for v in values)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


_RUNS = 0


def run_wrk(
    server: Server,
    query: Query,
    connections: int,
    args: argparse.Namespace,
    plan: Path,
    servers: list[Server],
    duration: float,
) -> Cell:
    cell = Cell(server.name, query.key, connections, seconds=duration)
    threads = max(1, min(args.wrk_threads, connections))
    # Every run gets its own range of request numbers (see sparql.lua): a server must never see
    # a query text again, in this cell or a later one (its cache would answer it).
    global _RUNS
    _RUNS += 1
    base = _RUNS * 10**9 + 10**6
    cmd = [
        args.wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration:g}s",
        f"--timeout={max(1, round(duration))}s",
        "--latency",
        "-s",
        str(LUA),
        server.base,
        "--",
        str(plan),
        str(base),
    ]
    cpu_before = server.cpu_seconds()
    all_before = sum(s.cpu_seconds() for s in servers)
    machine_before = machine_busy_seconds()
    usage_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=duration * 3 + 60)
    wall = time.perf_counter() - wall
    usage_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cell.server_cpu = (server.cpu_seconds() - cpu_before) / wall
    cell.wrk_cpu = (
        usage_after.ru_utime + usage_after.ru_stime - usage_before.ru_utime - usage_before.ru_stime
    ) / wall
    machine = (machine_busy_seconds() - machine_before) / wall
    servers_cpu = (sum(s.cpu_seconds() for s in servers) - all_before) / wall
    cell.other_cpu = max(0.0, machine - servers_cpu - cell.wrk_cpu)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("WRKJSON ")), None)
    if done.returncode != 0 or line is None:
        cell.status = "error"
        cell.note = (done.stderr or done.stdout)[-300:].strip()
        return cell
    data = json.loads(line[len("WRKJSON ") :])
    cell.errors = {k: v for k, v in data["errors"].items() if v}
    ok = data["requests"] - data["errors"]["status"]
    cell.requests = data["requests"]
    if data["requests"]:
        cell.bytes_per_response = data["bytes"] / data["requests"]
    seconds = data["duration_us"] / 1e6
    cell.rps = ok / seconds if seconds else 0.0
    if ok:
        lat = data["latency_us"]
        cell.p50_ms, cell.p90_ms, cell.p99_ms = (lat[k] / 1000 for k in ("p50", "p90", "p99"))
    if data["errors"]["status"]:
        cell.note = f"{data['errors']['status']} non-2xx responses (not counted)"
    if ok == 0:
        cell.status = "timeout" if data["errors"]["timeout"] or data["requests"] == 0 else "error"
    elif ok < connections:
        cell.note = (cell.note + "; " if cell.note else "") + f"only {ok} responses"
    return cell


def bench_query(
    query: Query,
    servers: list[Server],
    args: argparse.Namespace,
    subjects: list[str],
    probes: list[Probe],
    cells: list[Cell],
    log,
) -> None:
    """Probe every server with the query, then run its cells: for each connection count, every
    server in turn (the order alternates), so that a disturbance on the shared machine does not
    fall on one server only."""
    log(f"{query.key}: {query.title}")
    probed: dict[str, Probe] = {}
    for server in servers:
        # The probe uses the fixed subject of the cached rows: for those rows it is the first of
        # the repeats; the uncached rows' own requests never repeat it.
        settle(servers, args, log)
        with httpx.Client() as client:
            pr = probe(client, server, query, subjects[len(subjects) // 2], args.probe_timeout)
        probes.append(pr)
        probed[server.name] = pr
        log(
            f"  {server.name:12s} probe: status {pr.status}, rows {pr.rows}, "
            f"{(pr.seconds or 0) * 1000:,.1f} ms {pr.error[:120]}"
        )
        if pr.status != 200:
            status = "timeout" if "timeout" in pr.error else "error"
            for c in args.connections:
                cells.append(Cell(server.name, query.key, c, status=status, note=pr.error[:200]))
    for turn, connections in enumerate(args.connections):
        for server in servers if turn % 2 == 0 else servers[::-1]:
            pr = probed[server.name]
            if pr.status != 200:
                continue
            # A cell must hold a few "waves" of the connections' queries, or wrk sees none come
            # back: stretch it for slow queries, up to --max-cell seconds; past that, report the
            # bound the probe proves (these servers do not cancel work, so an overlong cell
            # would also leave it running behind).
            backlog = pr.seconds * connections / server.parallelism
            duration = max(args.duration, math.ceil(2.5 * backlog))
            if duration > args.max_cell:
                bound = server.parallelism / pr.seconds
                cells.append(
                    Cell(
                        server.name,
                        query.key,
                        connections,
                        status="skipped",
                        rps_upper_bound=bound,
                        p50_ms=pr.seconds * 1000,
                        note=f"one request alone took {pr.seconds:.1f} s; "
                        f"{connections} at once need ~{backlog:.0f} s; a fair cell, "
                        f"~{2.5 * backlog:.0f} s, is over --max-cell",
                    )
                )
                log(f"  {server.name:12s} c={connections:<3d} skipped: <= {bound:.2f} req/s")
                continue
            plan = OUT_DIR / f"plan-{os.getpid()}-{server.name}.txt"  # concurrent runs: apart
            write_plan(plan, server, query, subjects)
            waited = settle(servers, args, log)  # leftovers of a probe or of the previous cell
            cell = run_wrk(server, query, connections, args, plan, servers, duration)
            cell.drain_seconds = waited
            cells.append(cell)
            log(
                f"  {server.name:12s} c={connections:<3d} {_fmt_rps(cell.rps):>9s} req/s  "
                f"p50 {_fmt_ms(cell.p50_ms)}  p99 {_fmt_ms(cell.p99_ms)}  "
                f"cores: server {cell.server_cpu or 0:.2f} wrk {cell.wrk_cpu or 0:.2f} "
                f"other {cell.other_cpu or 0:.2f}  {cell.note}"
            )


def settle(servers: list[Server], args: argparse.Namespace, log) -> float:
    """Wait until every server is idle (restarting one that stays busy past --drain-timeout),
    then, for at most --quiet-wait seconds, until the rest of the machine is quiet as well (other
    processes using under a quarter of a core). Seconds waited."""
    start = time.perf_counter()
    for server in servers:
        if server.proc is None:
            continue
        if server.wait_idle(args.drain_timeout) is None:
            log(f"  {server.name} still busy after {args.drain_timeout:g} s: restarting it")
            server.restart()
    quiet_from = time.perf_counter()
    while time.perf_counter() - quiet_from < args.quiet_wait:
        t, busy = time.perf_counter(), machine_busy_seconds()
        own = sum(s.cpu_seconds() for s in servers)
        time.sleep(0.5)
        own = sum(s.cpu_seconds() for s in servers) - own
        if (machine_busy_seconds() - busy - own) / (time.perf_counter() - t) < 0.25:
            break
    return time.perf_counter() - start


# ---------------------------------------------------------------------------------------------
# Reporting


def _fmt_rps(v: float | None) -> str:
    if v is None:
        return "-"
    if v >= 100:
        return f"{v:,.0f}"
    if v >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def _fmt_ms(v: float | None) -> str:
    if v is None:
        return "-"
    if v >= 1000:
        return f"{v / 1000:.1f} s"
    if v >= 10:
        return f"{v:.0f} ms"
    return f"{v:.1f} ms"


def _cell_text(cell: Cell | None) -> str:
    if cell is None:
        return "not run"
    if cell.status == "skipped":
        return f"≤ {_fmt_rps(cell.rps_upper_bound)} (est.; 1 req = {_fmt_ms(cell.p50_ms)})"
    if cell.status in ("timeout", "error") and not cell.rps:
        return cell.status
    text = f"{_fmt_rps(cell.rps)} ({_fmt_ms(cell.p50_ms)} / {_fmt_ms(cell.p99_ms)})"
    if cell.errors.get("timeout"):
        text += " ⚠timeouts"
    if (cell.other_cpu or 0) > BUSY_CORES:
        text += f" ⚠busy {cell.other_cpu:.1f}"
    if cell.errors.get("status"):
        text += " ⚠non-2xx"
    return text


def _ratio(a: Cell | None, b: Cell | None) -> tuple[str, float | None, bool]:
    """coopkg / other, as text; the value; whether it is only a lower bound."""
    if a is None or b is None or not a.rps:
        return "-", None, False
    if b.status == "skipped" and b.rps_upper_bound:
        r = a.rps / b.rps_upper_bound
        return f"≥ {r:,.2f}×" if r < 10 else f"≥ {r:,.0f}×", r, True
    if not b.rps:
        return ("∞ (other: none)" if b.status in ("timeout", "error") else "-"), None, False
    r = a.rps / b.rps
    return f"{r:,.2f}×" if r < 10 else f"{r:,.0f}×", r, False


BUSY_CORES = 0.3  # other processes using more than this during a cell: flagged

TARGETS = {  # issue 3's engine target, issue 11's HTTP targets
    "point": ("oxigraph", 0.6),
    "engine": ("oxigraph", 0.9),
    "cached": ("oxigraph", 1.5),
    "deref": ("oxigraph", 0.0),  # no target against oxigraph: see RATE_OF and ENGINE_SIDE
}
# Documents must go at least at the rate of coopkg's own point lookups (uncached and cached).
RATE_OF = {
    "deref-ttl": "point",
    "deref-html": "point",
    "cached-deref-ttl": "cached-point",
    "cached-deref-html": "cached-point",
}
# No other server renders documents: their ratio columns divide by what the other server does
# for a document's rows, the description query (for comparison, not a target).
ENGINE_SIDE = {"deref-ttl": "describe", "deref-html": "describe"}
P99_CONNECTIONS, P99_FACTOR = 16, 2.0  # point lookups: p99 at most 2x oxigraph serve's


def _verdict(
    query: Query, c: Cell | None, ox: Cell | None, rd: Cell | None, own: Cell | None = None
) -> str:
    """The targets a cell meets; `own`: the same server's cell of the query in RATE_OF."""
    if c is None or not c.rps:
        return "-"
    parts = []
    _, r_ox, _ = _ratio(c, ox)
    need = TARGETS[query.kind][1]
    if r_ox is not None and need:
        parts.append(f"{'✓' if r_ox >= need else '✗'} ≥{need:g}× ox")
    if own is not None and own.rps:
        ok = c.rps >= own.rps
        parts.append(f"{'✓' if ok else '✗'} ≥ {own.query} ({c.rps / own.rps:.2f}×)")
    if (
        query.kind == "point"
        and c.connections == P99_CONNECTIONS
        and ox is not None
        and ox.p99_ms
        and c.p99_ms
    ):
        ok = c.p99_ms <= P99_FACTOR * ox.p99_ms
        parts.append(f"{'✓' if ok else '✗'} p99 ≤{P99_FACTOR:g}× ox ({c.p99_ms / ox.p99_ms:.1f}×)")
    _, r_rd, lower = _ratio(c, rd)
    if r_rd is not None:
        mark = "✓" if r_rd >= 10 else ("?" if lower else "✗")  # a lower bound under 10: unknown
        parts.append(f"{mark} ≥10× rdflib")
    elif rd is not None and rd.status in ("timeout", "error"):
        parts.append("✓ ≥10× rdflib")
    return ", ".join(parts)


def checkout_version() -> str:
    """The commit of the checkout whose coopkg is measured (with '+changes' when it has local
    modifications to the package)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "endpoint"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "?"
    return head + ("+changes" if dirty else "") if head else "?"


def machine_notes() -> list[str]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return [
        f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB RAM, {platform.platform()}, "
        f"Python {platform.python_version()}",
        "wrk runs on the same cores as the server under test: at high request rates it takes a "
        "large share of the CPU (the `wrk cpu` column of results.json says how much), so every "
        "absolute figure is lower than on a dedicated client; compare the ratios.",
        f"`⚠busy N`: other processes on the machine used N cores (more than {BUSY_CORES:g}) "
        "during that cell; its figure is depressed by them.",
    ]


def render(
    args: argparse.Namespace,
    meta: dict,
    servers: list[Server],
    queries: list[Query],
    probes: list[Probe],
    cells: list[Cell],
    started: str,
    total_seconds: float,
) -> str:
    by = {(c.server, c.query, c.connections): c for c in cells}
    names = [s.name for s in servers]
    out = [
        "# HTTP benchmark: coopkg serve vs oxigraph serve vs rdflib-endpoint",
        "",
        f"Run {started} UTC, {total_seconds / 60:.1f} min in all. Command: `{args.command_line}`",
        "",
        f"Graph: `{meta['file']}`, {meta['triples']:,} synthetic triples "
        f"({meta['cooperatives']:,} cooperatives), seed {meta['seed']}. "
        f"{args.duration:g} s per cell, wrk with up to {args.wrk_threads} threads, GET with the "
        f"query URL-encoded, `Accept: {JSON_RESULTS}`, all on {HOST}.",
        "",
        "Each cell: requests/s (p50 / p99 latency). Cells of slow queries are stretched so that "
        f"the connections' queries come back a few times (up to {args.max_cell:g} s; the length "
        "of each is in results.json). `≤ X (est.)`: not driven, because even that would be too "
        "short (one request alone took the time shown); X is the most that server could do (its "
        "parallelism / that latency).",
        "",
    ]
    out.append("| server | mode | version | load + start | memory (PSS) |")
    out.append("|---|---|---|---|---|")
    for s in servers:
        out.append(
            f"| {s.label} | {s.mode} | {s.version or '?'} | {s.load_seconds:.1f} s | "
            f"{s.memory_bytes / 2**20:,.0f} MiB{' ' + '; '.join(s.notes) if s.notes else ''} |"
        )
    out.append("")
    labels = {s.name: s.label for s in servers}
    header = ["query", "conns", *(labels[n] for n in names)]
    out.append("| " + " | ".join(header) + " |")
    out.append("|" + "---|" * len(header))
    for q in queries:
        for conns in args.connections:
            row = [q.title, str(conns)]
            row += [_cell_text(by.get((n, q.key, conns))) for n in names]
            out.append("| " + " | ".join(row) + " |")
    out.append("")
    has = set(names)
    for variant in (n for n in names if n.startswith("coopkg")):
        others = [o for o in ("oxigraph", "oxigraph-ro", "rdflib") if o in has]
        if not others:
            continue
        out.append(
            f"Ratios for **{labels[variant]}** (requests/s divided by the other's) and the targets:"
        )
        out.append("")
        header = ["query", "conns", *(f"÷ {labels[o]}" for o in others), "targets"]
        out.append("| " + " | ".join(header) + " |")
        out.append("|" + "---|" * len(header))
        for q in queries:
            for conns in args.connections:
                c = by.get((variant, q.key, conns))
                row = [q.title, str(conns)]
                side = ENGINE_SIDE.get(q.key, q.key)
                row += [_ratio(c, by.get((o, side, conns)))[0] for o in others]
                row.append(
                    _verdict(
                        q,
                        c,
                        by.get(("oxigraph", q.key, conns)),
                        by.get(("rdflib", q.key, conns)),
                        by.get((variant, RATE_OF.get(q.key, ""), conns)),
                    )
                )
                out.append("| " + " | ".join(row) + " |")
        out.append("")
        if any(q.key in ENGINE_SIDE for q in queries):
            out.append(
                "The documents' rows (`dereference`) divide by the other server's rate for the "
                "document's description query: no other server renders documents, and that query "
                "is what an engine alone must evaluate for one (a comparison, not a target)."
            )
            out.append("")
    # Row counts: every server must give the same answer to the probe.
    out.append("Rows returned by the probe of each query (the same on every server, or flagged):")
    out.append("")
    out.append("| query | " + " | ".join(labels[n] for n in names) + " | |")
    out.append("|---|" + "---|" * len(names) + "---|")
    for q in queries:
        rows = [_find_probe(probes, n, q.key) for n in names]
        texts = []
        for p in rows:
            if p is None:
                texts.append("-")
            elif p.rows is not None:
                texts.append(f"{p.rows} ({_fmt_ms((p.seconds or 0) * 1000)})")
            else:
                texts.append(p.error[:60] or str(p.status))
        counts = {p.rows for p in rows if p is not None and p.rows is not None}
        flag = "" if len(counts) <= 1 else "⚠ differ"
        out.append(f"| {q.title} | " + " | ".join(texts) + f" | {flag} |")
    out.append("")
    out.append("Notes:")
    out.append("")
    for note in machine_notes():
        out.append(f"- {note}")
    out.append(
        "- Targets (issue 3): every query ≥ 10× rdflib-endpoint; engine-bound queries ≥ 0.9× "
        "`oxigraph serve`; point lookups ≥ 0.5× `oxigraph serve`; cached repeats faster than "
        "`oxigraph serve` (the in-memory server: coopkg evaluates on pyoxigraph in memory)."
    )
    out.append(
        "- Uncached rows send a different query text with every request (a random subject or "
        "page, and a `LIMIT` far above the result size numbered per request), so no result or "
        "parse cache can answer them; the `cached repeat` rows send one identical query."
    )
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--quick",
        action="store_true",
        help="100k triples and 3 s per cell (unless given explicitly)",
    )
    p.add_argument("-n", "--triples", type=int, default=None, help="default 1M (quick: 100k)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("-d", "--duration", type=float, default=None, help="s per cell (6; quick 3)")
    p.add_argument("-c", "--connections", default="8,16", help="comma-separated (default 8,16)")
    known = [*SERVER_KEYS, *OPTIONAL_SERVER_KEYS]
    p.add_argument("--servers", default=",".join(SERVER_KEYS), help=f"subset of {known}")
    p.add_argument("--queries", default=",".join(QUERY_KEYS), help=f"subset of {QUERY_KEYS}")
    p.add_argument("--wrk-threads", type=int, default=2)
    p.add_argument(
        "--max-cell",
        type=float,
        default=20.0,
        help="seconds a cell may be stretched to for slow queries (default 20)",
    )
    p.add_argument(
        "--probe-timeout",
        type=float,
        default=30.0,
        help="seconds one probe request may take (default 30)",
    )
    p.add_argument(
        "--drain-timeout",
        type=float,
        default=120.0,
        help="seconds to wait for a server to finish leftover work before restarting it",
    )
    p.add_argument(
        "--quiet-wait",
        type=float,
        default=5.0,
        help="seconds to wait, before each cell, for other processes to calm down",
    )
    p.add_argument(
        "--coopkg-args",
        default="",
        help="extra options for `coopkg serve`, e.g. '--query-workers 2'",
    )
    p.add_argument(
        "--baseline",
        metavar="REV",
        default="",
        help="also run coopkg serve from git revision REV (exported with git archive) as "
        "'coopkg-baseline' (and 'coopkg-baseline-w2' when named in --servers): before and "
        "after measured in the same run",
    )
    p.add_argument("--out", type=Path, default=OUT_DIR / "results.md")
    args = p.parse_args(argv)
    args.triples = args.triples or (100_000 if args.quick else 1_000_000)
    args.duration = args.duration or (3.0 if args.quick else 6.0)
    args.connections = [int(c) for c in args.connections.split(",") if c.strip()]
    args.servers = [s.strip() for s in args.servers.split(",") if s.strip()]
    args.queries = [q.strip() for q in args.queries.split(",") if q.strip()]
    if args.baseline and "coopkg-baseline" not in args.servers:
        args.servers.insert(0, "coopkg-baseline")
    for s in args.servers:
        if s not in [*known, "coopkg-baseline", "coopkg-baseline-w2"]:
            p.error(f"unknown server {s!r}; choose from {known}")
    for q in args.queries:
        if q not in QUERY_KEYS:
            p.error(f"unknown query {q!r}; choose from {QUERY_KEYS}")
    args.command_line = "python bench/http_bench.py " + " ".join(
        shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv)
    )
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.wrk = shutil.which("wrk")
    if args.wrk is None:
        print(
            "wrk is not installed. On Debian/Ubuntu: `apt-get install -y wrk` (as root), "
            "on macOS `brew install wrk`.",
            file=sys.stderr,
        )
        return 2

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    t0 = time.perf_counter()
    started = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    graph, meta = ensure_graph(args.triples, args.seed)
    log(f"graph: {graph} ({meta['triples']:,} triples, {meta['cooperatives']:,} cooperatives)")
    # Point-lookup subjects: every complete cooperative (the last may be cut short).
    subjects = [cooperative_iri(i) for i in range(max(1, meta["cooperatives"] - 1))]
    queries = [q for q in QUERIES if q.key in args.queries]

    factories = {
        "coopkg": lambda: CoopkgServer(graph, shlex.split(args.coopkg_args)),
        "coopkg-w1": lambda: CoopkgServer(
            graph,
            ["--workers", "1", *shlex.split(args.coopkg_args)],
            name="coopkg-w1",
            label="coopkg serve --workers 1",
        ),
        "coopkg-w2": lambda: CoopkgServer(
            graph,
            ["--workers", "2", *shlex.split(args.coopkg_args)],
            name="coopkg-w2",
            label="coopkg serve --workers 2",
        ),
        "coopkg-nocache": lambda: CoopkgServer(
            graph,
            shlex.split(args.coopkg_args),
            name="coopkg-nocache",
            label="coopkg serve, no cache",
            env={"COOPKG_CACHE_ENTRIES": "0"},
        ),
        "coopkg-granian": lambda: CoopkgGranian(graph, 1, "coopkg-granian"),
        "coopkg-granian-w2": lambda: CoopkgGranian(graph, 2, "coopkg-granian-w2"),
        "oxigraph": lambda: OxigraphMemory(graph),
        "oxigraph-ro": lambda: OxigraphDisk(graph),
        "rdflib": lambda: RdflibEndpoint(graph),
        "coopkg-baseline": lambda: CoopkgServer(
            graph,
            shlex.split(args.coopkg_args),
            name="coopkg-baseline",
            label=f"coopkg serve @ {args.baseline}",
            source=export_revision(args.baseline),
            revision=args.baseline,
        ),
        "coopkg-baseline-w2": lambda: CoopkgServer(
            graph,
            ["--workers", "2", *shlex.split(args.coopkg_args)],
            name="coopkg-baseline-w2",
            label=f"coopkg serve --workers 2 @ {args.baseline}",
            source=export_revision(args.baseline),
            revision=args.baseline,
        ),
    }
    servers: list[Server] = []
    probes: list[Probe] = []
    cells: list[Cell] = []

    def terminated(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt  # so that `finally` stops every server and cleans up

    signal.signal(signal.SIGTERM, terminated)
    try:
        for key in args.servers:
            server = factories[key]()
            servers.append(server)
            log(f"{server.label}: starting and loading ...")
            try:
                server.start()
            except (ServerError, OSError, subprocess.SubprocessError) as exc:
                log(f"{server.label}: could not start: {exc}")
                server.notes.append(f"could not start: {str(exc).splitlines()[0][:200]}")
                server.stop()
                continue
            log(
                f"{server.label}: ready in {server.load_seconds:.1f} s, "
                f"{server.memory_bytes / 2**20:,.0f} MiB"
            )
        running = [s for s in servers if s.proc is not None]
        for s in servers:
            if s.proc is None:
                for q in queries:
                    for c in args.connections:
                        cells.append(Cell(s.name, q.key, c, status="not run", note="did not start"))
        for query in queries:
            bench_query(query, running, args, subjects, probes, cells, log)
    except KeyboardInterrupt:
        log("interrupted: writing what was measured")
    finally:
        for s in servers:
            s.stop()
        for plan in OUT_DIR.glob(f"plan-{os.getpid()}-*.txt"):
            plan.unlink(missing_ok=True)

    total = time.perf_counter() - t0
    table = render(args, meta, servers, queries, probes, cells, started, total)
    print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(table, encoding="utf-8")
    payload = {
        "started_utc": started,
        "seconds": total,
        "command": args.command_line,
        "graph": meta,
        "duration_per_cell": args.duration,
        "connections": args.connections,
        "machine": machine_notes()[0],
        "servers": [
            {
                "name": s.name,
                "label": s.label,
                "mode": s.mode,
                "version": s.version,
                "load_seconds": s.load_seconds,
                "memory_bytes": s.memory_bytes,
                "notes": s.notes,
            }
            for s in servers
        ],
        "queries": [
            {
                "key": q.key,
                "title": q.title,
                "kind": q.kind,
                "sparql": q.sparql(),
                "description": q.description,
            }
            for q in queries
        ],
        "probes": [vars(p) for p in probes],
        "cells": [vars(c) for c in cells],
    }
    args.out.with_suffix(".json").write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    log(f"written: {args.out} and {args.out.with_suffix('.json')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
