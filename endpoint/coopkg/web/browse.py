"""Browsing the graph from the resource index (coopkg.query.index), without a query per request:

- `GET /browse`: every class used, with its label in the reader's language and the number of
  resources (IRIs) typed with it;
- `GET /browse?type=<class IRI>`: the members of a class, by their labels (in `skos:notation`
  order when they have notations, as concepts of a scheme do), linked to their pages; a class the
  graph does not use is 404;
- `GET /a-z`: every named resource under the base IRI, by its label in the reader's language,
  grouped by initial letter with accents set aside (`É` files under `E`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from urllib.parse import quote

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from .. import __version__
from ..query.index import initial, normalise
from .documents import LANGUAGES
from .labels import Label
from .pages import PageContext, local_href, templates
from .site import label_of, page_language, site_page, text_response
from .site_text import UI
from .state import AppState, app_state
from .static import root_path

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
_MAX_PARAM = 2048


def _natural(text: str) -> tuple:
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"(\d+)", text))


def _item(state: AppState, iri: str, context: PageContext) -> tuple[Label, str | None, str]:
    return label_of(state, iri, context.language), local_href(iri, context), iri


def _classes(state: AppState, context: PageContext) -> list[tuple]:
    rows = [
        (label_of(state, c, context.language), f"{context.root}/browse?type={_quote(c)}", c, n)
        for c, n in state.index.class_counts().items()
    ]
    return sorted(rows, key=lambda row: (normalise(row[0].text), row[2]))


def _quote(iri: str) -> str:
    return quote(iri, safe="")


def _members(state: AppState, class_iri: str, context: PageContext) -> list[tuple]:
    items = [_item(state, iri, context) for iri in state.index.members(class_iri)]
    notations = state.index.notations

    def order(item: tuple) -> tuple:
        notation = notations.get(item[2])
        return (notation is None, _natural(notation or ""), normalise(item[0].text), item[2])

    return sorted(items, key=order)


def _render(request: Request, template: str, language: str, path: str, **values: object) -> str:
    root = root_path(request)
    languages = [(code, f"{root}{path}{'&' if '?' in path else '?'}lang={code}")
                 for code in LANGUAGES]  # fmt: skip
    return (
        templates()
        .get_template(template)
        .render(
            ui=UI[language],
            lang=language,
            root=root,
            version=__version__,
            languages=languages,
            **values,
        )  # fmt: skip
    )


@router.api_route("/browse", methods=["GET", "HEAD"])
async def browse(request: Request) -> Response:
    state = app_state(request)
    language = page_language(request)
    context = PageContext(root_path(request), state.settings.base_iri, language, "")
    class_iri = request.query_params.get("type")
    if class_iri is None:

        async def render_classes() -> str:
            return _render(request, "browse.html", language, "/browse",
                           classes=_classes(state, context), members=None)  # fmt: skip

        return await site_page(request, ("browse",), render_classes, language=language)
    if len(class_iri) > _MAX_PARAM:
        return text_response("the type parameter is too long", 400)
    if class_iri not in state.index.class_counts():
        return text_response(f"no resource of the graph has the type {class_iri!r}", 404)

    async def render_members() -> str:
        return _render(
            request, "browse.html", language, f"/browse?type={_quote(class_iri)}",
            classes=None, members=_members(state, class_iri, context),
            type_item=_item(state, class_iri, context),
        )  # fmt: skip

    return await site_page(request, ("browse", class_iri), render_members, language=language)


def _a_z(state: AppState, context: PageContext) -> list[tuple[str, list[tuple]]]:
    groups: dict[str, list[tuple]] = defaultdict(list)
    for iri in state.index.named(context.base_iri):
        item = _item(state, iri, context)
        groups[initial(item[0].text)].append(item)
    return [
        (letter, sorted(items, key=lambda i: (normalise(i[0].text), i[2])))
        for letter, items in sorted(groups.items(), key=lambda kv: (kv[0] == "#", kv[0]))
    ]


@router.api_route("/a-z", methods=["GET", "HEAD"])
async def a_z(request: Request) -> Response:
    state = app_state(request)
    language = page_language(request)
    context = PageContext(root_path(request), state.settings.base_iri, language, "")

    async def render() -> str:
        return _render(request, "a_z.html", language, "/a-z", groups=_a_z(state, context))

    return await site_page(request, ("a-z",), render, language=language)
