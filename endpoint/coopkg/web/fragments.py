"""The HTML of a resource page's repeated parts (labels, values, the statement tables and the
structure tree), written in Python with the template's own escaping.

A page holds dozens of values; written through Jinja macros, each value cost a macro call and
several escapes, each making a Markup object: about half of an uncached page's time
(bench/README.md). The page's template places these fragments once each; every string from the
graph goes through `escape`, which is markupsafe's escaping (tests/test_pages.py holds the two
equal).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from markupsafe import Markup

from .labels import Label

__all__ = ["Fragments", "Row", "Value", "escape"]


@dataclass
class Value:
    text: str
    iri: str | None = None
    href: str | None = None
    language: str | None = None
    fallback: bool = False
    editorial: bool = False
    datatype: str | None = None
    literal: bool = False
    relation: str | None = None  # in the structure tree: how it relates to the page's resource
    sources: list[tuple[str, str | None]] = field(default_factory=list)  # (label, href)


@dataclass
class Row:
    label: Label
    iri: str
    href: str | None
    values: list[Value]


def escape(text: str) -> str:
    """markupsafe's escaping (the template's), without a Markup object per string."""
    return (
        text.replace("&", "&amp;")
        .replace(">", "&gt;")
        .replace("<", "&lt;")
        .replace("'", "&#39;")
        .replace('"', "&#34;")
    )


class Fragments:
    """The fragments of one page, in the words of its language (`ui`)."""

    def __init__(self, ui: dict[str, str]) -> None:
        self._fallback = ' <abbr class="marker fallback" title="{}">en</abbr>'.format(
            escape(ui["fallback"])
        )
        self._editorial = ' <abbr class="marker editorial" title="{}">*</abbr>'.format(
            escape(ui["editorial"])
        )
        self._sources = ' <span class="sources">[{}:'.format(escape(ui["sources"]))

    def label(self, label: Label) -> Markup:
        return Markup(self._label(label))

    def _label(self, label: Label) -> str:
        lang = f' lang="{escape(label.language)}"' if label.language else ""
        text = f"<span{lang}>{escape(label.text)}</span>"
        if label.fallback:
            text += self._fallback
        if label.editorial:
            text += self._editorial
        return text

    def _value(self, v: Value) -> str:
        lang = f' lang="{escape(v.language)}"' if v.language else ""
        if v.href:
            parts = [f'<a href="{escape(v.href)}"{lang}>{escape(v.text)}</a>']
        else:
            parts = [f'<span class="literal"{lang}>{escape(v.text)}</span>']
        if v.literal and v.language:
            parts.append(f' <span class="lang-tag">{escape(v.language)}</span>')
        if v.datatype:
            parts.append(f' <span class="datatype">{escape(v.datatype)}</span>')
        if v.fallback:
            parts.append(self._fallback)
        if v.editorial:
            parts.append(self._editorial)
        if v.sources:
            parts.append(self._sources)
            links = (
                f' <a href="{escape(href)}">{escape(name)}</a>' if href else f" {escape(name)}"
                for name, href in v.sources
            )
            parts.append(";".join(links))
            parts.append("]</span>")
        return "".join(parts)

    def table(self, rows: Sequence[Row], heading: str, section_id: str) -> Markup:
        """A section of statements: one term (the property) per row, its values after it."""
        if not rows:
            return Markup("")
        ident = escape(section_id)
        out = [
            f'<section aria-labelledby="{ident}">\n  <h2 id="{ident}">{escape(heading)}</h2>\n'
            '  <dl class="statements">\n'
        ]
        for row in rows:
            label = self._label(row.label)
            if row.href:
                label = (
                    f'<a href="{escape(row.href)}" class="property" title="{escape(row.iri)}">'
                    f"{label}</a>"
                )
            out.append(f"    <dt>{label}</dt>\n")
            out.extend(f"<dd>{self._value(v)}</dd>" for v in row.values)
        out.append("  </dl>\n</section>\n")
        return Markup("".join(out))

    def tree(self, branches: Sequence[Row], heading: str) -> Markup:
        """The structure section: one branch per kind of organisation, each value with its
        relation to the page's resource."""
        if not branches:
            return Markup("")
        out = [
            '<section aria-labelledby="structure">\n'
            f'    <h2 id="structure">{escape(heading)}</h2>\n    <ul class="tree">\n'
        ]
        for branch in branches:
            label = self._label(branch.label)
            if branch.href:
                label = f'<a href="{escape(branch.href)}">{label}</a>'
            out.append(
                f'      <li><span class="branch">{label}</span> ({len(branch.values)})\n'
                "        <ul>\n"
            )
            out.extend(
                f"<li>{self._value(v)} "
                f'<span class="relation">— {escape(v.relation or "")}</span></li>'
                for v in branch.values
            )
            out.append("        </ul>\n      </li>\n")
        out.append("    </ul>\n  </section>\n")
        return Markup("".join(out))
