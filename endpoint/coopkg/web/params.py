"""Reading the SPARQL protocol's request parameters: URL-encoded parameters decoded as UTF-8
strictly, bodies read incrementally up to a limit, and the few parameters the protocol defines.
Every problem is a `Refusal` with the status the protocol calls for."""

from __future__ import annotations

from binascii import a2b_qp
from collections.abc import Sequence
from functools import lru_cache
from urllib.parse import quote_from_bytes, unquote

import pyoxigraph as ox

from .http import Receive, Refusal

__all__ = [
    "check_charset",
    "content_type_parts",
    "decode_utf8",
    "format_names",
    "graph_iris",
    "parse_params",
    "parse_query_string",
    "read_body",
    "single",
]

_UTF8 = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})
_PARAM_LIMIT = 1000  # parameters in one request


@lru_cache(maxsize=256)
def parse_query_string(raw: bytes) -> tuple[tuple[str, str], ...]:
    """The URL's parameters. Memoised: urllib's percent-decoding is pure Python and a large part
    of a cached answer's cost (bench/README.md); repeated requests repeat their query string. At
    most 256 entries of at most `max_url_bytes` each."""
    return tuple(parse_params(raw, "query string"))


def parse_params(raw: bytes, where: str) -> list[tuple[str, str]]:
    """URL-encoded parameters, decoded as UTF-8 strictly (400 otherwise)."""
    if not raw:
        return []
    if raw.isascii():
        text = raw.decode("ascii")
    else:  # raw UTF-8 bytes some clients put in URLs: percent-encode, then decode strictly
        text = quote_from_bytes(raw, safe="!#$%&'()*+,/:;=?@[]~-._")
    if 1 + text.count("&") > _PARAM_LIMIT:
        raise Refusal(400, f"more than {_PARAM_LIMIT} parameters in the {where}")
    try:
        return _parse_qsl(text)
    except UnicodeDecodeError:
        raise Refusal(400, f"the {where} is not valid UTF-8 once percent-decoded") from None


def _parse_qsl(text: str) -> list[tuple[str, str]]:
    """`urllib.parse.parse_qsl(text, keep_blank_values=True, errors="strict")` for ASCII `text`,
    the same pairs (tests/test_params.py compares the two), with a faster percent-decoding."""
    pairs = []
    for field in text.split("&"):
        if field:
            name, _, value = field.partition("=")
            pairs.append((_unquote_plus(name), _unquote_plus(value)))
    return pairs


def _unquote_plus(text: str) -> str:
    """`urllib.parse.unquote(text.replace("+", " "), errors="strict")` for ASCII `text`. urllib
    decodes one escape at a time in Python (most of a point lookup's parameter parsing); when
    every `%` starts a valid escape, quoted-printable decoding in C gives the same bytes once `%`
    is written `=`. It reads `=`, CR and LF specially: with those, and whenever an escape was not
    decoded (the output is longer than two bytes less per `%`), urllib decodes instead."""
    text = text.replace("+", " ")
    escapes = text.count("%")
    if not escapes:
        return text
    if "=" not in text and "\r" not in text and "\n" not in text:
        raw = a2b_qp(text.replace("%", "="))
        if len(raw) == len(text) - 2 * escapes:
            return raw.decode("utf-8")
    return unquote(text, errors="strict")


def content_type_parts(content_type: str) -> tuple[str, str | None]:
    """('type/subtype', charset or None), lower-cased."""
    media, _, rest = content_type.partition(";")
    charset = None
    for param in rest.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    return media.strip().lower(), charset


def check_charset(media: str, charset: str | None) -> None:
    if charset is not None and charset not in _UTF8:
        raise Refusal(
            415,
            f"{media} bodies must be UTF-8 (SPARQL 1.1 Protocol); charset={charset} is not "
            "supported",
        )


async def read_body(receive: Receive, limit: int, content_length: bytes | None) -> bytes:
    """The request body, read chunk by chunk; 413 as soon as it passes `limit` bytes."""
    too_large = Refusal(
        413, f"request body over the {limit} byte limit", [(b"connection", b"close")]
    )
    if content_length is not None:
        try:
            declared = int(content_length)
        except ValueError:
            raise Refusal(400, "invalid Content-Length") from None
        if declared > limit:
            raise too_large
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise Refusal(400, "the client went away before sending the whole body")
        chunk = message.get("body", b"")
        if chunk:
            size += len(chunk)
            if size > limit:
                raise too_large
            chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def decode_utf8(body: bytes, what: str) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Refusal(
            400, f"the {what} is not valid UTF-8 (byte {exc.start}: {exc.reason})"
        ) from None


def single(params: Sequence[tuple[str, str]], name: str) -> str | None:
    values = [v for k, v in params if k == name]
    if len(values) > 1:
        raise Refusal(400, f"the {name!r} parameter is given {len(values)} times; give it once")
    return values[0] if values else None


def format_names(params: Sequence[tuple[str, str]]) -> str | None:
    """The `format` parameters, comma-joined for choose_format to try in order (SPARQLWrapper
    sends two: `format=tsv&format=text/tab-separated-values`); `output` and `results`, which some
    clients send with the same value, are ignored."""
    names = [v.strip() for k, v in params if k == "format" and v.strip()]
    return ",".join(names) if names else None


def graph_iris(params: Sequence[tuple[str, str]], name: str) -> tuple[str, ...]:
    iris = tuple(v for k, v in params if k == name)
    for iri in iris:
        try:
            ox.NamedNode(iri)
        except ValueError:
            raise Refusal(400, f"{name} is not an absolute IRI: {iri!r}") from None
    return iris
