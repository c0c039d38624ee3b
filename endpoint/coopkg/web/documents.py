"""The documents a linked-data resource is published as, and how a request picks one.

Each resource `…/id/<kind>/<slug>` has fixed documents of its own, one per format:
`<slug>.html`, `.ttl`, `.jsonld`, `.nt`, `.rdf`, and `.trig` / `.nq`, the formats that keep each
statement's source (its named graph). The resource's own URL answers with one of them, chosen by
`?format=` or else the Accept header (q-values, wildcards, the exact lists real clients send), and
names it in `Content-Location`. `*/*` and no Accept get HTML: a person typing the URL or a crawler
following a link reads the page; RDF clients all name RDF types. Nothing acceptable: 406 with the
list of what is offered.

The reader's language comes from `?lang=`, else Accept-Language (en, fr, es), else English.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox
from starlette.responses import Response

from ..formats import parse_accept
from ..vocab import DATASET_IRI, LICENSE_IRI, VOID

__all__ = [
    "DOCUMENT_FORMATS",
    "PAGE_CSP",
    "document_headers",
    "plain_text",
    "LANGUAGES",
    "DocumentFormat",
    "choose_document_format",
    "choose_language",
    "format_by_suffix",
    "offered_formats",
]

LANGUAGES = ("en", "fr", "es")


@dataclass(frozen=True)
class DocumentFormat:
    name: str  # the `format` parameter's value
    suffix: str  # of the fixed document's URL
    media_type: str
    rdf: ox.RdfFormat | None  # None: HTML
    label: str

    @property
    def content_type(self) -> str:
        text = self.media_type.startswith("text/") or self.media_type.endswith("json")
        return f"{self.media_type}; charset=utf-8" if text else self.media_type

    @property
    def keeps_graphs(self) -> bool:
        return self.rdf in (ox.RdfFormat.TRIG, ox.RdfFormat.N_QUADS)


HTML = DocumentFormat("html", ".html", "text/html", None, "HTML")
# In the server's order of preference, for ties (`application/*`, equal q-values).
DOCUMENT_FORMATS: tuple[DocumentFormat, ...] = (
    HTML,
    DocumentFormat("turtle", ".ttl", "text/turtle", ox.RdfFormat.TURTLE, "Turtle"),
    DocumentFormat("json-ld", ".jsonld", "application/ld+json", ox.RdfFormat.JSON_LD, "JSON-LD"),
    DocumentFormat("nt", ".nt", "application/n-triples", ox.RdfFormat.N_TRIPLES, "N-Triples"),
    DocumentFormat("rdf-xml", ".rdf", "application/rdf+xml", ox.RdfFormat.RDF_XML, "RDF/XML"),
    DocumentFormat("trig", ".trig", "application/trig", ox.RdfFormat.TRIG, "TriG"),
    DocumentFormat("nquads", ".nq", "application/n-quads", ox.RdfFormat.N_QUADS, "N-Quads"),
)
_BY_SUFFIX = {f.suffix: f for f in DOCUMENT_FORMATS}
_BY_NAME = {f.name: f for f in DOCUMENT_FORMATS} | {
    "ttl": DOCUMENT_FORMATS[1],
    "jsonld": DOCUMENT_FORMATS[2],
    "ntriples": DOCUMENT_FORMATS[3],
    "rdf": DOCUMENT_FORMATS[4],
    "xml": DOCUMENT_FORMATS[4],
    "nq": DOCUMENT_FORMATS[6],
}
# Other names clients send for the same media types.
_ALIASES = {
    "application/xhtml+xml": "text/html",
    "application/x-turtle": "text/turtle",
    "application/turtle": "text/turtle",
    "text/n3": "text/turtle",
    "text/rdf+n3": "text/turtle",
    "application/json": "application/ld+json",
    "text/plain": "application/n-triples",
    "application/xml": "application/rdf+xml",
    "text/xml": "application/rdf+xml",
    "application/x-trig": "application/trig",
    "text/x-nquads": "application/n-quads",
}


def format_by_suffix(suffix: str) -> DocumentFormat | None:
    return _BY_SUFFIX.get(suffix)


def offered_formats() -> str:
    return ", ".join(f.media_type for f in DOCUMENT_FORMATS)


def _specificity(media_range: str) -> int:
    return 0 if media_range == "*/*" else 1 if media_range.endswith("/*") else 2


def _matches(media_range: str, fmt: DocumentFormat) -> bool:
    if media_range == "*/*":
        return True
    if media_range.endswith("/*"):
        return fmt.media_type.split("/")[0] == media_range[:-2]
    return _ALIASES.get(media_range, media_range) == fmt.media_type


def choose_document_format(accept: str | None, format_name: str | None) -> DocumentFormat | None:
    """The document to answer with; None: nothing acceptable (406). `format_name` wins."""
    if format_name:
        return _BY_NAME.get(format_name.strip().lower())
    ranges = parse_accept(accept)
    if all(media == "*/*" for media, q in ranges if q > 0):
        return HTML if any(q > 0 for _, q in ranges) else None
    best: tuple[float, int, int, DocumentFormat] | None = None
    for rank, fmt in enumerate(DOCUMENT_FORMATS):
        # The most specific range that matches a format decides its q (RFC 9110, 12.5.1).
        matching = [(m, q) for m, q in ranges if _matches(m, fmt)]
        if not matching:
            continue
        media, q = max(matching, key=lambda mq: _specificity(mq[0]))
        if q <= 0:
            continue
        key = (q, _specificity(media), -rank, fmt)
        if best is None or key[:3] > best[:3]:
            best = key
    return best[3] if best else None


def choose_language(lang_param: str | None, accept_language: str | None) -> str:
    """`?lang=` when it names a language the graph has, else the best of Accept-Language, else
    English."""
    if lang_param and lang_param.lower() in LANGUAGES:
        return lang_param.lower()
    best, best_q = "en", -1.0
    for position, item in enumerate((accept_language or "").split(",")):
        tag, _, params = item.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.partition("=")
            if key.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if primary in LANGUAGES and q > 0 and q - position * 1e-6 > best_q:
            best, best_q = primary, q - position * 1e-6
    return best


# Pages run only the site's own script and style; the embedded JSON-LD is data, not script.
PAGE_CSP = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
_EXPOSE = "ETag, Link, Content-Location, Content-Language"


def document_headers(document_base: str | None = None, in_dataset: bool = True) -> dict[str, str]:
    """The headers every answer about a published resource carries; with `document_base` (the
    path of its documents without a suffix), `Link` names each format, the licence and (with
    `in_dataset`) the dataset."""
    headers = {
        "Vary": "Accept, Accept-Language",
        "Access-Control-Allow-Origin": "*",
        "Access-Control-Expose-Headers": _EXPOSE,
        "X-Content-Type-Options": "nosniff",
    }
    if document_base is not None:
        links = [
            f'<{document_base}{f.suffix}>; rel="alternate"; type="{f.media_type}"'
            for f in DOCUMENT_FORMATS
        ]
        links.append(f'<{LICENSE_IRI}>; rel="license"')
        if in_dataset:
            links.append(f'<{DATASET_IRI}>; rel="{VOID}inDataset"')
        headers["Link"] = ", ".join(links)
    return headers


def plain_text(status: int, message: str) -> Response:
    """A refusal or a 404 for machines: plain text, never cached."""
    headers = {**document_headers(), "Cache-Control": "no-store"}
    return Response(
        message.rstrip("\n") + "\n", status, headers, media_type="text/plain; charset=utf-8"
    )
