"""Errors a SPARQL request can end in, each with the HTTP status it is answered with. Raised in
the query layer whatever the engine, and turned into responses by the web layer."""

from __future__ import annotations

__all__ = [
    "DETERMINISTIC_ERRORS",
    "BadGateway",
    "EngineError",
    "EngineFailed",
    "EngineTimeout",
    "NotAcceptable",
    "Overloaded",
    "QueryRefused",
    "QuerySyntaxError",
    "QueryTimeout",
    "ResultTooLarge",
    "SparqlError",
    "UPDATE_REFUSAL",
    "UpdateForbidden",
]

UPDATE_REFUSAL = "SPARQL Update is not allowed: this endpoint is read-only"


class SparqlError(Exception):
    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class QuerySyntaxError(SparqlError):
    """The query does not parse; the message is the parser's, with its position."""

    status = 400


class QueryRefused(SparqlError):
    """A query that this public endpoint will not run (SERVICE: no outbound traffic)."""

    status = 400


class UpdateForbidden(SparqlError):
    """SPARQL Update in any form: the endpoint is read-only."""

    status = 403


class NotAcceptable(SparqlError):
    status = 406


class ResultTooLarge(SparqlError):
    """A result over the byte cap that could not be cut at a row boundary."""

    status = 413


class EngineError(SparqlError):
    """The engine failed on this query in a way that is not the query's fault (a serialiser
    bug, say): logged, answered 500, never cached."""

    status = 500


class QueryTimeout(SparqlError):
    status = 503


class Overloaded(SparqlError):
    """Every query worker is busy and the waiting line is full (or did not move in time)."""

    status = 503


class EngineFailed(SparqlError):
    """The engine is not available: a query process died (out of memory, crash) and is being
    replaced, or the engine is not running."""

    status = 503


class EngineTimeout(SparqlError):
    """A remote SPARQL engine did not give a whole answer within the timeout (it said so in a
    header or a trailer, or it did not answer in time): never a short 200."""

    status = 504


class BadGateway(SparqlError):
    """A remote SPARQL engine answered something that is not a whole, well-formed result: an
    error of its own (not a syntax error), a body that does not parse, a result it cut at its
    own row cap. The message says which, never with the engine's stack trace."""

    status = 502


DETERMINISTIC_ERRORS: tuple[type[SparqlError], ...] = (
    QuerySyntaxError,
    QueryRefused,
    UpdateForbidden,
    NotAcceptable,
    ResultTooLarge,
)
"""Errors that depend only on the request: a repeated request may be answered from the cache."""
