"""Errors a SPARQL request can end in, each with the HTTP status it is answered with. Raised by the
executor (in the server process) and turned into plain-text responses by the router."""

from __future__ import annotations

__all__ = [
    "NotAcceptable",
    "Overloaded",
    "QueryRefused",
    "QuerySyntaxError",
    "QueryTimeout",
    "ResultTooLarge",
    "SparqlError",
    "UpdateForbidden",
    "WorkerFailed",
]


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


class QueryTimeout(SparqlError):
    status = 503


class Overloaded(SparqlError):
    """Every query worker is busy and the waiting line is full (or did not move in time)."""

    status = 503


class WorkerFailed(SparqlError):
    """The query process died (out of memory, crash); the worker is replaced."""

    status = 503
