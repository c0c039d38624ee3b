"""The w3id.org redirect rules, as they are in deploy/w3id/.htaccess, run by Debian's Apache with
mod_rewrite in front of a live `coopkg serve`: only the placeholder host is replaced by the test
server's. A private Apache instance on a free 127.0.0.1 port (its own config, ServerRoot, PidFile
and ErrorLog in a temporary folder), with the rules in the `coops4dev/` folder of its DocumentRoot,
as on w3id.org. Skips, saying why, where apache2 is not installed, unless
COOPKG_REQUIRE_APACHE=1 (.ci/run sets it after installing apache2)."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import ROOT, data_subjects, free_port
from rdflib import OWL, RDF, SH, Graph, URIRef

HTACCESS = ROOT / "deploy" / "w3id" / ".htaccess"
PLACEHOLDER = "https://coops4dev.example.org"
MODULES = Path("/usr/lib/apache2/modules")
BASE = "https://w3id.org/coops4dev/"
ICA = URIRef(BASE + "id/organisation/ica")


def _apache() -> str | None:
    binary = shutil.which("apache2") or shutil.which("apache2", path="/usr/sbin")
    if binary and (MODULES / "mod_rewrite.so").is_file():
        return binary
    return None


def _config(folder: Path, port: int) -> str:
    run_as = ""
    if os.geteuid() == 0:  # Apache will not serve as root: it switches to www-data
        user = "www-data" if _has_user("www-data") else "nobody"
        run_as = f"User {user}\nGroup #{pwd.getpwnam(user).pw_gid}\n"
    return f"""
ServerRoot "{folder}"
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
PidFile "{folder}/apache.pid"
ErrorLog "{folder}/error.log"
LogLevel warn
DefaultRuntimeDir "{folder}"
Mutex file:{folder} default
{run_as}
LoadModule mpm_event_module {MODULES}/mod_mpm_event.so
LoadModule authz_core_module {MODULES}/mod_authz_core.so
LoadModule rewrite_module {MODULES}/mod_rewrite.so
DocumentRoot "{folder}/htdocs"
<Directory "{folder}/htdocs">
    AllowOverride All
    Require all granted
</Directory>
"""


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


@pytest.fixture(scope="module")
def w3id(server: str) -> Iterator[str]:
    """The base of the w3id-like site: `<apache>/coops4dev/`."""
    binary = _apache()
    if binary is None:
        message = f"apache2 with mod_rewrite ({MODULES}) is not installed (apt-get install apache2)"
        if os.environ.get("COOPKG_REQUIRE_APACHE") == "1":
            pytest.fail(message + ", and COOPKG_REQUIRE_APACHE=1")
        pytest.skip(message)
    rules = HTACCESS.read_text()
    assert PLACEHOLDER in rules
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        site = folder / "htdocs" / "coops4dev"
        site.mkdir(parents=True)
        (site / ".htaccess").write_text(rules.replace(PLACEHOLDER, server))
        for path in (folder, folder / "htdocs", site, site / ".htaccess"):
            path.chmod(0o755)
        port = free_port()
        conf = folder / "apache.conf"
        conf.write_text(_config(folder, port))
        proc = subprocess.Popen(
            [binary, "-f", str(conf), "-X"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
        base = f"http://127.0.0.1:{port}"
        try:
            _wait(proc, base, folder)
            yield f"{base}/coops4dev/"
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait(proc: subprocess.Popen, base: str, folder: Path) -> None:
    deadline = time.monotonic() + 30
    while True:
        if proc.poll() is not None:
            log = folder / "error.log"
            raise RuntimeError(f"apache2 exited: {log.read_text() if log.exists() else ''}")
        try:
            httpx.get(base + "/", timeout=2)
            return
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise RuntimeError("apache2 did not start in time") from None
            time.sleep(0.1)


# -- Through the rules with rdflib ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "statement"),
    [
        ("id/organisation/ica", (ICA, RDF.type, None)),
        ("ontology", (URIRef(BASE + "ontology"), RDF.type, OWL.Ontology)),
        ("ontology/1.0.0", (URIRef(BASE + "ontology"), OWL.versionIRI, None)),
        ("shapes", (URIRef(BASE + "shapes#SiteShape"), RDF.type, SH.NodeShape)),
    ],
)
def test_rdflib_dereferences_through_the_rules(w3id: str, path: str, statement: tuple) -> None:
    graph = Graph().parse(w3id + path)  # follows the 303, negotiates an RDF format
    assert statement in graph, f"{path}: {len(graph)} statements, not {statement}"


# -- Every redirect is a 303 to the application, path and query kept ------------------------------

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.parametrize(
    "target",
    [
        "",
        "id/organisation/ica",
        "id/organisation/ica.ttl",
        "id/organisation/ica?lang=fr",
        "ontology",
        "ontology.jsonld",
        "ontology/1.0.0",
        "ontology/1.0.0.nt",
        "ontology?lang=es&format=html",
        "shapes",
        "shapes.rdf",
        "dumps/coops4dev.ttl",
        ".well-known/void",
        "sitemap.xml",
        "graph/shapes",
    ],
)
@pytest.mark.parametrize("accept", [BROWSER, "text/turtle", "application/ld+json", None])
def test_each_redirect_is_a_303_to_the_same_path(
    w3id: str, server: str, target: str, accept: str | None
) -> None:
    headers = {"Accept": accept} if accept else {}
    response = httpx.get(w3id + target, headers=headers, follow_redirects=False)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"{server}/{target}"
    # The application answers (graph/shapes: itself with a 303 to the shapes' document).
    final = httpx.get(response.headers["location"], headers=headers, follow_redirects=True)
    assert final.status_code == 200, f"{target}: {final.status_code}"
    assert all(hop.url.netloc == httpx.URL(server).netloc for hop in final.history)


def test_redirects_never_leave_the_site(w3id: str, server: str) -> None:
    hosts = {httpx.URL(w3id).netloc, httpx.URL(server).netloc}
    for target in ("id/organisation/ica", "ontology", "shapes"):
        response = httpx.get(
            w3id + target, headers={"Accept": "text/turtle"}, follow_redirects=True
        )
        for hop in [*response.history, response]:
            assert hop.url.netloc in hosts
            assert hop.status_code in (200, 303), f"{hop.url}: {hop.status_code}"
        assert len(response.history) == 1 and response.status_code == 200


def test_other_paths_are_not_redirected(w3id: str) -> None:
    response = httpx.get(w3id + "elsewhere", follow_redirects=False)
    assert response.status_code == 404


def test_the_rules_never_say_301() -> None:
    for line in HTACCESS.read_text().splitlines():
        if line.startswith("RewriteRule"):
            assert ("R=303" in line or "R=307" in line) and "301" not in line, line


def test_a_sparql_post_stays_a_post(w3id: str, server: str) -> None:
    """The endpoint's rule is a 307: a client following it sends the same POST again."""
    query = {"query": "ASK { ?s ?p ?o }"}
    first = httpx.post(w3id + "sparql", data=query, follow_redirects=False)
    assert first.status_code == 307 and first.headers["location"] == f"{server}/sparql"
    final = httpx.post(w3id + "sparql", data=query, follow_redirects=True,
                       headers={"Accept": "application/sparql-results+json"})  # fmt: skip
    assert final.status_code == 200 and final.json()["boolean"] is True


def test_rdflib_crawls_every_resource_through_the_rules(w3id: str) -> None:
    """Every IRI data/ describes, and the ontology (every term's document), through w3id."""
    missing = []
    for iri, statements in sorted(data_subjects().items()):
        graph = Graph().parse(w3id + str(iri)[len(BASE) :])
        missing += [f"{iri}: {t}" for t in statements if t not in graph][:1]
    ontology = Graph().parse(ROOT / "ontology" / "coop.ttl")
    served = Graph().parse(w3id + "ontology")
    missing += [str(t) for t in ontology if t not in served][:5]
    assert missing == []
