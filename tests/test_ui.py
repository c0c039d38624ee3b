"""The query editor page: static serving and the page itself in-process, then the real thing in
headless Chromium (Debian's package) against a live `coopkg serve`, checking that nothing is
fetched from anywhere but the server."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import coopkg
import httpx
import pytest
from conftest import NoEngine
from coopkg.catalogue import load_catalogue
from coopkg.config import Settings
from coopkg.vocab import PREFIXES
from coopkg.web import create_app
from coopkg.web.editor import EDITOR_PATHS
from fastapi.testclient import TestClient

SPARQL_JSON = "application/sparql-results+json"


# -- In process: the page and its static files ----------------------------------------------------


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(Settings(), engine=NoEngine())) as test_client:
        yield test_client


def page_config(html: str) -> dict:
    match = re.search(
        r'<script type="application/json" id="coopkg-ui-config">(.*?)</script>', html, re.S
    )
    assert match, "the page carries its settings in a JSON island"
    return json.loads(match.group(1))


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_the_sparql_route_gives_browsers_the_page(client: TestClient, method: str) -> None:
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = client.request(method, "/sparql", headers={"Accept": browser})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["vary"] == "Accept"
    if method == "GET":
        assert page_config(response.text) == page_config(client.get("/query").text)


@pytest.mark.parametrize("path", EDITOR_PATHS)
def test_page_is_served(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    csp = response.headers["content-security-policy"]
    assert "connect-src 'self'" in csp and "script-src 'self'" in csp
    html = response.text
    assert '<html lang="en">' in html and "<h1>coops4dev knowledge graph</h1>" in html
    # Every script, style sheet and icon comes from this server.
    for url in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert not re.match(r"(?i)(https?:)?//", url), f"page refers to another host: {url}"
    assert client.head(path).status_code == 200


def test_page_settings(client: TestClient) -> None:
    config = page_config(client.get("/query").text)
    assert config["endpoint"] == "/sparql"  # relative: the browser resolves it against the page
    for prefix in ("coop", "org", "skos", "dcterms", "rdfs", "rdf", "xsd", "schema", "prov", "owl"):
        assert prefix in config["prefixes"]
        assert f"PREFIX {prefix}: <{config['prefixes'][prefix]}>" in config["defaultQuery"]
    assert [e["slug"] for e in config["examples"]] == [e.slug for e in load_catalogue()]


def test_page_honours_the_root_path() -> None:
    app = create_app(Settings(), engine=NoEngine())
    with TestClient(app, root_path="/kg") as test_client:
        html = test_client.get("/query").text
    assert page_config(html)["endpoint"] == "/kg/sparql"
    assert 'src="/kg/static/yasgui/yasgui.min.js?v=' in html


def test_static_files_are_content_addressed_and_cached(client: TestClient) -> None:
    html = client.get("/query").text
    urls = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    assert {u.split("?")[0] for u in urls} >= {
        "/static/yasgui/yasgui.min.js",
        "/static/yasgui/yasgui.min.css",
        "/static/coopkg-ui.js",
        "/static/coopkg-ui.css",
    }
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        etag = response.headers["etag"]
        assert url.endswith(f"?v={etag.strip(chr(34))}")
        again = client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
    script = client.get("/static/yasgui/yasgui.min.js")
    assert script.headers["content-type"] == "application/javascript; charset=utf-8"
    assert script.headers["cache-control"] == "public, max-age=3600"  # unversioned URL
    assert script.headers["content-encoding"] == "gzip"  # httpx asks for it and decodes it
    assert len(script.content) > 900_000
    plain = client.get("/static/coopkg-ui.css", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers


@pytest.mark.parametrize(
    "path",
    [
        "/static/nothing.js",
        "/static/../cli.py",
        "/static/%2e%2e/__init__.py",
        "/static/..%2f__init__.py",
        "/static/yasgui",
        "/static/",
    ],
)
def test_static_serves_only_its_own_files(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 404


def test_vendored_editor_is_documented() -> None:
    folder = Path(coopkg.__file__).parent / "static" / "yasgui"
    assert "MIT License" in (folder / "LICENSE").read_text()
    readme = (folder / "README.txt").read_text()
    assert "@zazuko/yasgui 4.6.2" in readme


# -- In Chromium, against a live server -----------------------------------------------------------


def select_result(base: str, query: str) -> list[dict]:
    response = httpx.post(
        f"{base}/sparql", data={"query": query}, headers={"Accept": SPARQL_JSON}, timeout=30
    )
    response.raise_for_status()
    return response.json()["results"]["bindings"]


def editor_value(page, tab_id: str) -> str:
    return page.locator(f'[id="{tab_id}"] .CodeMirror').evaluate("el => el.CodeMirror.getValue()")


def run_and_read_table(page, tab_id: str) -> list[list[str]]:
    """Click the tab's run button; return the result table's rows, each cell's link target or
    text."""
    panel = page.locator(f'[id="{tab_id}"]')
    panel.locator(".yasqe_queryButton").click()
    rows = panel.locator(".yasr .dataTable tbody tr")
    rows.first.wait_for()
    return rows.evaluate_all(
        """rows => rows.map(row => Array.from(row.querySelectorAll('td')).slice(1).map(cell => {
             const link = cell.querySelector('a');
             return link ? link.href : cell.textContent.trim();
           }))"""
    )


def test_editor_in_chromium(server: str, browser_context, tmp_path: Path) -> None:
    examples = load_catalogue()
    assert examples, "queries/ holds the example queries the editor offers as tabs"
    page = browser_context.new_page()
    requests: list[str] = []
    problems: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(f"console: {message.text}") if message.type == "error" else None
        ),
    )
    try:
        # A browser asking /sparql for HTML without a query gets the editor too; the editor's
        # own address is /query (the home page is `/`).
        response = page.goto(f"{server}/sparql")
        assert response is not None and response.status == 200
        assert page.title() == "SPARQL query editor · coops4dev knowledge graph"
        response = page.goto(f"{server}/query")
        assert response is not None and response.status == 200
        assert page.title() == "SPARQL query editor · coops4dev knowledge graph"
        page.locator(".yasgui .tabsList").wait_for()
        page.wait_for_load_state("networkidle")  # the completers' term lists have arrived
        # The header's links (service description, API docs) lead somewhere.
        for link in page.locator("header nav a").evaluate_all("links => links.map(a => a.href)"):
            assert httpx.get(link, timeout=10).status_code == 200, link

        # Every example query is a ready tab holding its text.
        tab_names = page.locator(".tabsList a[role=tab]").all_inner_texts()
        assert len(tab_names) == 1 + len(examples), tab_names
        for example in examples:
            assert page.locator(f'[id="tab-example-{example.slug}"]').count() == 1, example.slug

        # The first tab is a new query with the prefixes declared; type a query and run it.
        first_tab = page.locator(".tabsList a[role=tab]").first.get_attribute("aria-controls")
        for prefix in ("coop", "org", "skos", "dcterms", "rdfs", "rdf", "xsd", "schema", "prov"):
            assert f"PREFIX {prefix}: <{PREFIXES[prefix]}>" in editor_value(page, first_tab)
        query = "SELECT ?s WHERE { ?s a ?c } ORDER BY ?s LIMIT 3"
        page.locator(f'[id="{first_tab}"] .CodeMirror').click()
        page.keyboard.press("Control+A")
        page.keyboard.insert_text(query)
        assert editor_value(page, first_tab) == query
        rows = run_and_read_table(page, first_tab)
        expected = [[b["s"]["value"]] for b in select_result(server, query)]
        assert len(expected) == 3 and rows == expected

        # Completion offers the graph's own classes, asked of this server (not of the web).
        classes = sorted(
            b["c"]["value"]
            for b in select_result(server, "SELECT DISTINCT ?c WHERE { [] a ?c }")
            if b["c"]["value"].startswith(PREFIXES["coop"])
        )
        assert classes, "the graph has instances of coop: classes"
        local_name = classes[0].removeprefix(PREFIXES["coop"])
        page.locator(f'[id="{first_tab}"] .CodeMirror').click()
        page.keyboard.press("Control+A")
        page.keyboard.insert_text(
            f"PREFIX coop: <{PREFIXES['coop']}>\nSELECT * WHERE {{ ?x a coop:{local_name[:3]}"
        )
        page.keyboard.press("Control+Space")
        hints = page.locator(".CodeMirror-hints li")
        hints.first.wait_for()
        assert f"coop:{local_name}" in hints.all_inner_texts()
        page.keyboard.press("Escape")

        # An example tab runs as it stands; its table matches the endpoint's own answer.
        example = next(e for e in examples if e.kind == "SELECT" and select_result(server, e.query))
        page.locator(f'[id="tab-example-{example.slug}"]').click()
        assert editor_value(page, f"example-{example.slug}") == example.query
        rows = run_and_read_table(page, f"example-{example.slug}")
        bindings = select_result(server, example.query)
        assert len(rows) == min(len(bindings), 50)  # the table's first page
        assert all(any(cell for cell in row) for row in rows)
        page.screenshot(path=str(tmp_path / "query-ui.png"), full_page=True)
    finally:
        page.close()

    # Nothing was fetched from anywhere but the server (data: URLs never leave the page).
    foreign = [u for u in requests if not u.startswith(f"{server}/") and not u.startswith("data:")]
    assert not foreign, f"requests left the server: {foreign}"
    assert any("/static/yasgui/yasgui.min.js" in u for u in requests)
    assert not problems, problems
