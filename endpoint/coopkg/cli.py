"""The `coopkg` command: a thin layer over the functions the tests call."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__
from .config import Settings

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="coopkg", description="The coops4dev knowledge graph.")
    parser.add_argument("--version", action="version", version=f"coopkg {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    validate = commands.add_parser(
        "validate",
        help="validate ontology, data and shapes",
        description="Parse every file, then validate data and ontology against the shapes. "
        "Exit 0: conforms; 1: violations (or warnings with --strict); 2: input could not be read.",
    )
    validate.add_argument(
        "paths",
        nargs="*",
        type=Path,
        help="files or folders (default: the checkout's ontology/, data/ and shapes/); "
        "files under a folder named shapes/ or ending in .shapes.ttl are read as shapes",
    )
    validate.add_argument("--format", choices=("text", "json", "turtle"), default="text")
    validate.add_argument("--strict", action="store_true", help="warnings fail too (exit 1)")

    serve = commands.add_parser(
        "serve",
        help="serve the graph over SPARQL 1.1 and linked data",
        description="Serve the graph. Given paths (files or folders of Turtle, N-Triples, RDF/XML, "
        "JSON-LD, TriG, N-Quads) replace the default ontology/ + data/ "
        "(+ shapes/ as a named graph).",
    )
    serve.add_argument("paths", nargs="*", type=Path)
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--base-iri", default=None, help="public base of the instance IRIs")
    serve.add_argument("--timeout", type=float, default=None, help="seconds per query (default 30)")
    serve.add_argument(
        "--query-workers", type=int, default=None, help="query processes (default 2)"
    )
    serve.add_argument(
        "--workers", type=int, default=None, help="HTTP processes sharing the port (default 1)"
    )
    serve.add_argument("--max-rows", type=int, default=None, help="rows or triples per result")
    return parser


def _serve_settings(args: argparse.Namespace) -> Settings:
    overrides = {
        "graph_paths": tuple(args.paths) or None,
        "host": args.host,
        "port": args.port,
        "base_iri": args.base_iri,
        "query_timeout": args.timeout,
        "query_workers": args.query_workers,
        "max_result_rows": args.max_rows,
        "http_workers": args.workers,
    }
    return Settings(**{k: v for k, v in overrides.items() if v is not None})


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "validate":
        from .validate import validate_command

        return validate_command(args.paths, output_format=args.format, strict=args.strict)
    if args.command == "serve":
        from .server import serve

        return serve(_serve_settings(args))
    return 2


if __name__ == "__main__":
    sys.exit(main())
