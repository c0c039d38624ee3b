"""A cheap look at a SPARQL query's text before it is sent to a query worker.

The guard runs in the server process, on every request, in microseconds. It does not parse SPARQL:
it splits the text into tokens just well enough to know which words are keywords. Comments, string
literals (short and long, with escapes), IRIs in angle brackets, prefixed names, blank node labels,
language tags and variables are single tokens, so `?service`, `ex:service`, `"SERVICE"`,
`# SERVICE` and `<http://x/SERVICE>` are not the keyword. It refuses three things:

- the `SERVICE` keyword anywhere (`QueryRefused`, 400): this endpoint makes no outbound requests;
- an update operation: the first keyword after the `BASE`/`PREFIX` prologue is one of the SPARQL
  Update verbs (`UpdateForbidden`, 403), or an update verb follows a `;` at the top level;
- brackets (or runs of unary operators) nested deeper than `max_depth` (`QueryRefused`): Oxigraph's
  recursive-descent parser overflows the stack and kills its process a few thousand levels down.

Anything else that is wrong with a query is left to Oxigraph's parser, which reports it with a
position. The guard errs towards refusing: text it cannot tokenise (an unterminated string, say) is
scanned character by character, so a keyword is never hidden by a lexing mistake.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from ..errors import UPDATE_REFUSAL, QueryRefused, UpdateForbidden

__all__ = [
    "INLINE_SCAN_LIMIT",
    "MAX_DEPTH",
    "UPDATE_KEYWORDS",
    "QueryShape",
    "check_query",
    "check_in_server",
    "full_scan_needed",
    "scan_query",
    "token_stream",
]

MAX_DEPTH = 256
# A full scan costs far more per byte than the substring tests that usually spare it (figures in
# bench/README.md): past this size it runs where the query is evaluated, not on the event loop.
INLINE_SCAN_LIMIT = 32 * 1024

UPDATE_KEYWORDS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"}
)
_UPDATE_LOWER = tuple(sorted(word.lower() for word in UPDATE_KEYWORDS))
_PROLOGUE = frozenset({"BASE", "PREFIX"})

# One alternative per token class. Order matters: long strings before short ones, prefixed names
# before bare words (so `service:x` is a name, not the keyword).
_PN_LOCAL = r"(?:[\w\-.:]|%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%])*"
_TOKEN = re.compile(
    r"""
      (?P<ws>\s+)
    | (?P<comment>\#[^\n\r]*)
    | (?P<string>
          \"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
        | '''(?:[^'\\]|\\.|'(?!''))*'''
        | "(?:[^"\\\n\r]|\\.)*"
        | '(?:[^'\\\n\r]|\\.)*'
      )
    | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    | (?P<var>[?$]\w+)
    | (?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
    | (?P<pname>(?:[^\W\d](?:[\w.\-]*\w)?)?:"""
    + _PN_LOCAL
    + r""")
    | (?P<word>[^\W\d]\w*)
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_OPEN = frozenset("{([")
_CLOSE = frozenset("})]")
_UNARY = frozenset("!-+")


@dataclass(frozen=True)
class QueryShape:
    """What the guard saw. `operation` is the first keyword after the prologue, upper-cased."""

    operation: str | None
    has_service: bool
    update_after_semicolon: bool
    max_depth: int


def scan_query(query: str, *, until_operation: bool = False) -> QueryShape:  # noqa: C901
    # One pass, one function: it runs on every request, and a call per token would cost more.
    """Tokenise `query` and report its shape. With `until_operation`, stop at the first keyword
    after the prologue (the other fields are then not looked for)."""
    operation: str | None = None
    has_service = False
    update_after_semicolon = False
    in_prologue = True
    after_semicolon = False
    depth = max_depth = unary_run = 0
    for match in _TOKEN.finditer(query):
        kind = match.lastgroup
        if kind in ("ws", "comment"):
            continue
        text = match.group()
        if kind == "word":
            word = text.upper() if text.isascii() else text  # SPARQL keywords are ASCII
            if word == "SERVICE":
                has_service = True
            if in_prologue and word not in _PROLOGUE:
                in_prologue = False
                operation = word
                if until_operation:
                    break
            if after_semicolon and depth == 0 and word in UPDATE_KEYWORDS:
                update_after_semicolon = True
        elif kind == "other":
            # A run of unary operators (`!!!!…`) nests the parser like brackets do.
            unary_run = unary_run + 1 if text in _UNARY else 0
            max_depth = max(max_depth, depth + unary_run)
            if text in _OPEN:
                depth += 1
                max_depth = max(max_depth, depth)
            elif text in _CLOSE:
                depth = max(0, depth - 1)
            if in_prologue:
                in_prologue = False
        if kind != "other":
            unary_run = 0
        after_semicolon = kind == "other" and text == ";"
    return QueryShape(operation, has_service, update_after_semicolon, max_depth)


def token_stream(query: str) -> Iterator[tuple[str, str]]:
    """(kind, text) of every token but whitespace and comments; kinds are the group names of
    the token pattern (string, iri, var, lang, pname, word, other: one character)."""
    for match in _TOKEN.finditer(query):
        kind = match.lastgroup or "other"  # every alternative is a named group
        if kind not in ("ws", "comment"):
            yield kind, match.group()


def full_scan_needed(query: str, max_depth: int = MAX_DEPTH) -> bool:
    """Cheap substring tests that prove a full scan could find nothing but the operation: no
    `service` anywhere, fewer brackets and unary operators in all than `max_depth`, and no update
    verb that could follow a `;`. Typical queries pass them, and only their prologue is lexed."""
    lowered = query.lower()
    if "service" in lowered:
        return True
    if sum(map(query.count, "{([!-+")) > max_depth:
        return True
    return ";" in query and any(word in lowered for word in _UPDATE_LOWER)


def check_query(query: str, *, max_depth: int = MAX_DEPTH) -> None:
    """Raise UpdateForbidden or QueryRefused for what this endpoint never runs."""
    shape = scan_query(query, until_operation=not full_scan_needed(query, max_depth))
    if shape.operation in UPDATE_KEYWORDS or shape.update_after_semicolon:
        raise UpdateForbidden(
            f"{UPDATE_REFUSAL} (found "
            f"{shape.operation if shape.operation in UPDATE_KEYWORDS else 'an update operation'})"
        )
    if shape.has_service:
        raise QueryRefused("SERVICE is not allowed: this endpoint makes no outbound requests")
    if shape.max_depth > max_depth:
        raise QueryRefused(
            f"query nested too deeply: {shape.max_depth} levels of brackets, at most {max_depth}"
        )


def check_in_server(query: str) -> bool:
    """The refusals that are cheap enough for the event loop. A query over INLINE_SCAN_LIMIT
    whose substrings call for a full scan is left for where it is evaluated (`check_query` there
    raises the same errors): returns False then, True when the query has been checked."""
    if len(query) <= INLINE_SCAN_LIMIT or not full_scan_needed(query):
        check_query(query)
        return True
    return False
