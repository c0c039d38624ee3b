"""Resource pages written in Python where the template used to: labels and values escape every
string from the graph exactly as the template's autoescaping does."""

from __future__ import annotations

import pyoxigraph as ox
from coopkg.query.neighbourhood import description_rows
from coopkg.query.resource import DESCRIPTION_PROPERTIES, collect
from coopkg.vocab import RDF_TYPE
from coopkg.web.fragments import escape as page_escape
from coopkg.web.pages import PageContext, render_resource_page
from markupsafe import escape

HOSTILE = [
    "",
    "plain",
    "<script>alert(1)</script>",
    "a & b",
    'it\'s "quoted"',
    "&amp; already",
    "<<>>''\"\"&&",
    "é – “ ” ‘ ’ 🙂",
    "\u2028\x00",
]


def test_escaping_is_the_templates() -> None:
    for text in HOSTILE:
        assert page_escape(text) == str(escape(text)), text


def test_a_hostile_graph_stays_text_on_its_page() -> None:
    store = ox.Store()
    r = ox.NamedNode("https://w3id.org/coops4dev/id/x/r")
    label = ox.NamedNode(DESCRIPTION_PROPERTIES[0])
    for n, text in enumerate(HOSTILE[1:]):
        store.add(
            ox.Quad(r, ox.NamedNode(f"http://example.org/p{n}"), ox.Literal(text, language="en"))
        )
        linked = ox.NamedNode(f"https://w3id.org/coops4dev/id/x/o{n}")
        store.add(ox.Quad(r, ox.NamedNode("http://example.org/to"), linked))
        store.add(ox.Quad(linked, label, ox.Literal(text, language="fr")))
        # The structure tree and the statements' headings, written in Python too.
        unit = ox.NamedNode(f"https://w3id.org/coops4dev/id/x/u{n}")
        store.add(ox.Quad(unit, ox.NamedNode("http://www.w3.org/ns/org#unitOf"), r))
        store.add(ox.Quad(unit, ox.NamedNode(RDF_TYPE), ox.NamedNode("http://example.org/K")))
        store.add(ox.Quad(unit, label, ox.Literal(text, language="en")))
    hostile_property = ox.NamedNode("http://example.org/p1")
    store.add(ox.Quad(hostile_property, label, ox.Literal(HOSTILE[2], language="en")))
    rows = description_rows(store, r.value, DESCRIPTION_PROPERTIES, 1000)
    assert rows is not None
    for language in ("en", "fr", "es"):
        context = PageContext("", "https://w3id.org/coops4dev/", language, "/id/x/r")
        page = render_resource_page(collect(r.value, rows), context, "http://h/id/x/r")
        assert "<script>alert" not in page
        # a value, a link, a branch of the structure and a property's name
        assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 4, page
        tree = page[page.index('<ul class="tree">') :]
        assert "&lt;script&gt;alert(1)&lt;/script&gt;</a>" in tree[: tree.index("</section>")]
        assert "it&#39;s &#34;quoted&#34;" in page
