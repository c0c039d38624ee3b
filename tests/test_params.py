"""The URL parameter reader (coopkg.web.params) decodes exactly as urllib's parse_qsl does, on
the strings its faster percent-decoding takes and on those it leaves to urllib."""

from __future__ import annotations

import random
from urllib.parse import parse_qsl, quote, quote_from_bytes, unquote

import pytest
from coopkg.web import params
from coopkg.web.http import Refusal
from coopkg.web.params import parse_params


def ours(raw: bytes) -> list[tuple[str, str]] | str:
    """What coopkg reads, or its refusal's message."""
    try:
        return parse_params(raw, "query string")
    except Refusal as exc:
        return exc.message


def reference(raw: bytes) -> list[tuple[str, str]] | str:
    """What urllib reads (raw non-ASCII bytes percent-encoded first, as coopkg does)."""
    text = raw.decode() if raw.isascii() else quote_from_bytes(raw, safe="!#$%&'()*+,/:;=?@[]~-._")
    try:
        return parse_qsl(
            text, keep_blank_values=True, encoding="utf-8", errors="strict", max_num_fields=1000
        )
    except UnicodeDecodeError:
        return "the query string is not valid UTF-8 once percent-decoded"
    except ValueError:
        return "more than 1000 parameters in the query string"


@pytest.mark.parametrize(
    "raw",
    [
        b"query="
        + quote("PREFIX ex: <http://x/#>\nSELECT * { ?s ?p 'é 漢字 😀' }", safe="").encode(),
        b"query=a+b%2Bc&format=json",
        b"query=%41%4a%6a%7e",  # upper and lower case hex
        b"query=100%",  # a '%' at the end
        b"query=%4",
        b"query=%%41",
        b"query=%zz%41",
        b"query=%4g",
        b"query=a=b%41",  # '=' in a value: quoted-printable would read it
        b"query=%0D%0A%41",  # escaped CR LF: decoded
        b"query=a\rb%41",  # raw CR and LF: left to urllib
        b"query=a\nb%41",
        b"query=%C3%A9&x=%C3",  # invalid UTF-8 once decoded
        b"query=%ED%A0%80",  # an encoded surrogate: invalid UTF-8
        b"query=%FF",
        b"=&&x&x=&=y&&query=%41",  # blank names, values, fields
        b"%71uery=%53ELECT",  # escapes in a name
        b"a+b=c+d",
        b"&".join(b"p=%d" % i for i in range(1000)),
        b"&".join(b"p=%d" % i for i in range(1001)),  # one parameter too many
        b"query=_%5F=",
        b"query=%00%7F%80",
    ],
)
def test_parameters_are_urllibs(raw: bytes) -> None:
    assert ours(raw) == reference(raw)


def test_random_query_strings_are_read_as_urllib_reads_them(monkeypatch) -> None:
    """Random strings over the characters that matter (escapes valid or not, `=`, `&`, `+`, CR,
    LF, bytes that are not UTF-8, raw or escaped) give the same pairs or the same refusal, by
    either way: both are taken thousands of times."""
    left = []

    def counted(text: str, **kwargs: str) -> str:
        left.append(text)
        return unquote(text, **kwargs)

    monkeypatch.setattr(params, "unquote", counted)
    rng = random.Random(11)
    pieces = ["%", "=", "&", "+", "\r", "\n", "_", "a", "Z", "0", "9", "f", "G", " ", "%%"]
    pieces += [f"%{b:02X}" for b in (0x41, 0x3D, 0x26, 0x2B, 0x25, 0x0A, 0xC3, 0xA9, 0xFF)]
    pieces += ["%c3%a9", "%e6%bc%a2", "%F0%9F%98%80", "%4", "%g1", "%1g", "é", "\udcff"]
    decoded = 0
    for _ in range(20_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 14)))
        raw = text.encode("utf-8", "surrogateescape")  # \udcff: a raw byte that is not UTF-8
        assert ours(raw) == reference(raw), raw
        decoded += b"%" in raw
    assert 1000 < len(left) < decoded - 1000  # both ways taken, thousands of times
