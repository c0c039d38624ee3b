"""The HTML page of a resource, for people: server-rendered, readable with JavaScript off and on a
phone, in the reader's language.

Every property with a readable label, in a sensible order; values by their labels, linked to their
local pages (IRIs that are not http(s) are never links); the sources of each statement beside it;
"referenced by" for the statements that point to the resource; members of a scheme in their order;
links to every format, a "query this in SPARQL" link and the licence; `rel=canonical` and
`rel=alternate` links and schema.org JSON-LD for search engines. Every string from the graph goes
through the template's autoescaping (labels and values through the same escaping, in Python), and
the embedded JSON escapes `<`, `>` and `&`.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import quote

import pyoxigraph as ox
from jinja2 import Environment, FileSystemLoader, select_autoescape

from .. import __version__
from ..query.resource import ResourceDescription, Statement
from ..vocab import DATASET_IRI, LICENSE_IRI, ONTOLOGY_NS, RDF_TYPE, SCHEMA, SKOS
from .documents import DOCUMENT_FORMATS, LANGUAGES
from .fragments import Fragments, Row, Value
from .labels import (
    INVERSES,
    PROPERTY_ORDER,
    STANDARD_LABELS,
    Label,
    pick_label,
    readable_iri,
)

__all__ = ["PageContext", "render_resource_page", "templates"]

_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
_ORDER = {iri: rank for rank, iri in enumerate(PROPERTY_ORDER)}
_MEMBERSHIP = (SKOS + "inScheme", SKOS + "topConceptOf")
_STRUCTURE = ("http://www.w3.org/ns/org#unitOf", "http://www.w3.org/ns/org#subOrganizationOf")
_INVERSE_PATTERN = {"en": "is “{}” of", "fr": "est « {} » de", "es": "es «{}» de"}
_UI = {
    "en": {"identifier": "Identifier", "copy_label": "Copy",
           "formats": "This page in other formats",
           "sparql": "Query this in SPARQL", "referenced": "Referenced by", "sources": "source",
           "licence": "Licence", "fallback": "in English: no label in this language",
           "editorial": "translation by the coops4dev project", "members": "Members",
           "structure": "Structure", "statements": "Statements", "home": "Home",
           "types": "Type", "languages": "Language"},
    "fr": {"identifier": "Identifiant", "copy_label": "Copier", "formats":
           "Cette page dans d'autres formats",
           "sparql": "Interroger en SPARQL", "referenced": "Cité par", "sources": "source",
           "licence": "Licence", "fallback": "en anglais : pas d'étiquette dans cette langue",
           "editorial": "traduction du projet coops4dev", "members": "Membres",
           "structure": "Structure", "statements": "Énoncés", "home": "Accueil",
           "types": "Type", "languages": "Langue"},
    "es": {"identifier": "Identificador", "copy_label": "Copiar", "formats":
           "Esta página en otros formatos",
           "sparql": "Consultar en SPARQL", "referenced": "Citado por", "sources": "fuente",
           "licence": "Licencia", "fallback": "en inglés: no hay etiqueta en este idioma",
           "editorial": "traducción del proyecto coops4dev", "members": "Miembros",
           "structure": "Estructura", "statements": "Enunciados", "home": "Inicio",
           "types": "Tipo", "languages": "Idioma"},
}  # fmt: skip


@dataclass(frozen=True)
class PageContext:
    """Where the page is: the application's path prefix, the public base IRI, the reader's
    language, and the path of the resource's own URL."""

    root: str
    base_iri: str
    language: str
    resource_path: str


@cache  # the package's own templates: the same for every application in the process
def templates() -> Environment:
    return Environment(
        loader=FileSystemLoader(_TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        auto_reload=False,  # the package's own files: no stat of the template per page
        trim_blocks=True,
        lstrip_blocks=True,
    )


def local_href(iri: str, context: PageContext) -> str | None:
    """The link for an IRI: its local page when the graph publishes it, the IRI itself when it is
    http(s), None (plain text) otherwise: `javascript:` and other schemes are never links."""
    if iri.startswith(context.base_iri):
        return f"{context.root}/{iri[len(context.base_iri) :]}"
    if re.match(r"^https?://", iri, re.IGNORECASE):
        return iri
    return None


class _Namer:
    """Labels for the IRIs on one page, in the reader's language."""

    def __init__(self, description: ResourceDescription, language: str) -> None:
        self.description = description
        self.language = language

    def label(self, iri: str) -> Label:
        literals = self.description.labels.get(iri, [])
        picked = pick_label(
            literals, self.language, frozenset(self.description.editorial_languages.get(iri, ()))
        )
        if picked is not None:
            return picked
        standard = STANDARD_LABELS.get(iri)
        if standard is not None:
            text = standard.get(self.language) or standard["en"]
            return Label(text, self.language, self.language not in standard, False)
        return Label(readable_iri(iri), None, False, False)

    def inverse_label(self, predicate: str) -> Label:
        """The label of the relation read backwards, for "referenced by" and structure rows."""
        inverse = INVERSES.get(predicate)
        if inverse is not None:
            return self.label(inverse)
        label = self.label(predicate)
        pattern = _INVERSE_PATTERN.get(self.language, _INVERSE_PATTERN["en"])
        return Label(pattern.format(label.text), label.language, label.fallback, label.editorial)


def _value(
    term: ox.NamedNode | ox.BlankNode | ox.Literal, namer: _Namer, context: PageContext
) -> Value:
    if isinstance(term, ox.NamedNode):
        label = namer.label(term.value)
        href = local_href(term.value, context)
        return Value(
            label.text,
            iri=term.value,
            href=href,
            language=label.language,
            fallback=label.fallback,
            editorial=label.editorial,
        )
    if isinstance(term, ox.Literal):
        datatype = term.datatype.value if not term.language else None
        if datatype and datatype.endswith("#string"):
            datatype = None
        return Value(
            term.value,
            language=term.language,
            literal=True,
            datatype=datatype and readable_iri(datatype),
        )
    return Value(str(term), literal=True)


def _sources(statement: Statement, namer: _Namer, context: PageContext) -> list:
    return [(namer.label(s).text, local_href(s, context)) for s in statement.sources]


def _rows(
    statements: list[Statement], namer: _Namer, context: PageContext, incoming: bool
) -> list[Row]:
    by_predicate: dict[str, list[Statement]] = defaultdict(list)
    for statement in statements:
        by_predicate[statement.predicate.value].append(statement)
    rows = []
    for predicate, group in by_predicate.items():
        values = []
        for statement in group:
            term = statement.subject if incoming else statement.object
            value = _value(term, namer, context)
            value.sources = _sources(statement, namer, context)
            if statement.predicate.value == SKOS + "prefLabel" and not incoming:
                lang = (value.language or "").split("-")[0]
                value.editorial = lang in namer.description.editorial_languages.get(
                    namer.description.iri, set()
                )
            values.append(value)
        notations = namer.description.notations
        values.sort(
            key=lambda v: (
                _natural(notations.get(v.iri or "", "")),
                _language_rank(v.language, namer.language),
                v.text.lower(),
            )
        )
        label = namer.inverse_label(predicate) if incoming else namer.label(predicate)
        rows.append(Row(label, predicate, local_href(predicate, context), values))
    rows.sort(key=lambda r: (_ORDER.get(r.iri, len(_ORDER)), r.label.text.lower()))
    return rows


def _tree(statements: list[Statement], namer: _Namer, context: PageContext) -> list[Row]:
    """The organisations that are units or parts of this one, as a tree: one branch per kind of
    organisation (their ontology class), each in label order, with the relation beside it."""
    branches: dict[str, list[Value]] = defaultdict(list)
    for statement in statements:
        member = statement.subject
        all_types = namer.description.types.get(member.value, [])
        types = [t for t in all_types if t.startswith(ONTOLOGY_NS)] or all_types or [""]
        value = _value(member, namer, context)
        value.sources = _sources(statement, namer, context)
        value.relation = namer.inverse_label(statement.predicate.value).text
        branches[sorted(types)[0]].append(value)
    rows = [
        Row(
            namer.label(kind) if kind else Label("—", None, False, False),
            kind,
            local_href(kind, context) if kind else None,
            sorted(values, key=lambda v: v.text.lower()),
        )
        for kind, values in branches.items()
    ]
    return sorted(rows, key=lambda r: r.label.text.lower())


def _natural(text: str) -> tuple:
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text))


def _language_rank(language: str | None, reader: str) -> int:
    lang = (language or "").split("-")[0]
    return 0 if lang == reader else 1 if not lang else 2


def _schema_org(description: ResourceDescription, namer: _Namer, canonical: str) -> str:
    """schema.org JSON-LD for search engines, safe inside a <script> element."""
    types = [t[len(SCHEMA):] for t in description.types.get(description.iri, []) if
             t.startswith(SCHEMA)]  # fmt: skip
    data: dict[str, object] = {
        "@context": "https://schema.org",
        "@id": description.iri,
        "@type": types[0] if len(types) == 1 else (types or "Thing"),
        "name": namer.label(description.iri).text,
        "url": canonical,
        "isPartOf": {"@type": "Dataset", "@id": DATASET_IRI},
        "license": LICENSE_IRI,
    }
    same = [
        s.object.value
        for s in description.outgoing
        if s.predicate.value == SCHEMA + "sameAs" and isinstance(s.object, ox.NamedNode)
    ]
    if same:
        data["sameAs"] = same
    text = json.dumps(data, ensure_ascii=False, indent=1)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_resource_page(
    description: ResourceDescription, context: PageContext, canonical: str
) -> str:
    namer = _Namer(description, context.language)
    outgoing = [s for s in description.outgoing if s.subject.value == description.iri]
    incoming = [s for s in description.incoming if s.predicate.value != RDF_TYPE]
    members = [s for s in incoming if s.predicate.value in _MEMBERSHIP]
    structure = [s for s in incoming if s.predicate.value in _STRUCTURE]
    others = [s for s in incoming if s not in members and s not in structure]
    title = namer.label(description.iri)
    types = [namer.label(t) for t in description.types.get(description.iri, [])]
    describe = quote(f"DESCRIBE <{description.iri}>", safe="")
    formats = [
        (f.label, f"{context.resource_path}{f.suffix}", f.media_type) for f in DOCUMENT_FORMATS
    ]
    languages = [(lang, f"{context.resource_path}?lang={lang}") for lang in LANGUAGES]
    ui = _UI[context.language]
    fragments = Fragments(ui)
    return (
        templates()
        .get_template("resource.html")
        .render(
            ui=ui,
            label_html=fragments.label,
            table_html=fragments.table,
            tree_html=fragments.tree,
            lang=context.language,
            title=title,
            types=types,
            iri=description.iri,
            canonical=canonical,
            rows=_rows(outgoing, namer, context, incoming=False),
            members=_rows(members, namer, context, incoming=True),
            structure=_tree(structure, namer, context),
            referenced=_rows(others, namer, context, incoming=True),
            formats=formats,
            languages=languages,
            sparql_href=f"{context.root}/query?query={describe}",
            licence=LICENSE_IRI,
            jsonld=_schema_org(description, namer, canonical),
            root=context.root,
            version=__version__,
            ontology_ns=ONTOLOGY_NS,
        )
    )
