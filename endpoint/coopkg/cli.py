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
        help="serve the graph over the SPARQL 1.1 protocol, with a query editor",
        description="Serve the graph. Given paths (files or folders of Turtle, N-Triples, RDF/XML, "
        "JSON-LD, TriG, N-Quads) replace the default ontology/ + data/ "
        "(+ shapes/ as a named graph).",
    )
    serve.add_argument("paths", nargs="*", type=Path)
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument(
        "--base-iri", default=None, help="base IRI that relative IRIs in queries resolve against"
    )
    serve.add_argument("--timeout", type=float, default=None, help="seconds per query (default 30)")
    serve.add_argument(
        "--query-workers", type=int, default=None, help="query processes (default 2)"
    )
    serve.add_argument(
        "--workers", type=int, default=None, help="HTTP processes sharing the port (default 2)"
    )
    serve.add_argument("--max-rows", type=int, default=None, help="rows or triples per result")
    serve.add_argument(
        "--union-default-graph",
        action="store_true",
        default=None,
        help="also copy the named graphs of given TriG/N-Quads files into the default graph, "
        "as the shipped data/ is loaded",
    )
    serve.add_argument(
        "--store",
        type=Path,
        default=None,
        metavar="DIR",
        help="serve the on-disk store `coopkg load` made (nothing is parsed; paths are not read)",
    )
    serve.add_argument(
        "--sparql-backend",
        metavar="URL",
        default=None,
        help="answer every query through this external SPARQL 1.1 query endpoint (load it with "
        "`coopkg push`); paths are then not read",
    )

    load = commands.add_parser(
        "load",
        help="bulk-load RDF files into an on-disk store for `serve --store`",
        description="Bulk-load files or folders (any RDF format; named graphs kept; default: the "
        "shipped graph) into the Oxigraph store DIR. All or nothing: a syntax error leaves DIR "
        "as it was. Exit 0: loaded; 1: DIR holds another dataset (see --force, --append); "
        "2: input could not be read.",
    )
    load.add_argument("paths", nargs="*", type=Path)
    load.add_argument("--store", type=Path, required=True, metavar="DIR")
    mode = load.add_mutually_exclusive_group()
    mode.add_argument("--force", action="store_true", help="replace a store of another dataset")
    mode.add_argument("--append", action="store_true", help="add the files to the store")

    push = commands.add_parser(
        "push",
        help="load the dataset into an external SPARQL engine (Graph Store Protocol)",
        description="Validate the dataset, then PUT it graph by graph into the SPARQL 1.1 Graph "
        "Store at --to, with its version record. Credentials: COOPKG_PUSH_USER and "
        "COOPKG_PUSH_PASSWORD (HTTP Digest; COOPKG_PUSH_AUTH=basic for Basic). Exit 0: pushed; "
        "1: invalid, or the engine refused; 2: input could not be read.",
    )
    push.add_argument(
        "paths", nargs="*", type=Path, help="as for serve (default: the shipped graph)"
    )
    push.add_argument(
        "--to",
        required=True,
        metavar="URL",
        help="the Graph Store endpoint, e.g. http://127.0.0.1:7878/store (Oxigraph) or "
        "http://127.0.0.1:8890/sparql-graph-crud-auth (Virtuoso)",
    )

    queries = commands.add_parser(
        "queries",
        help="list the example queries (the competency questions of queries/)",
        description="List the example queries; with --write-expected, run them on the shipped "
        "graph and write each result beside its query (a developer aid: read every written "
        "result and check it against the sources before committing it).",
    )
    queries.add_argument(
        "--write-expected",
        metavar="SLUG",
        nargs="+",
        default=[],
        help="slug (or its number) of the queries whose result to write",
    )
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
        "union_default_graph": args.union_default_graph,
        "sparql_backend": args.sparql_backend,
        "store_path": args.store,
    }
    return Settings(**{k: v for k, v in overrides.items() if v is not None})


def _queries(parser: argparse.ArgumentParser, slugs: list[str]) -> int:
    from .catalogue import load_catalogue

    catalogue = load_catalogue()
    if not slugs:
        for entry in catalogue:
            mark = " " if entry.expected_path else "!"
            print(f"{mark} {entry.slug:45} {entry.kind:9} {entry.title}")
        return 0
    from .expected import write_expected

    by_key = {e.slug: e for e in catalogue} | {e.slug.split("-", 1)[0]: e for e in catalogue}
    for key in slugs:
        if key not in by_key:
            parser.error(f"no query {key!r}")
    for key in slugs:
        print(f"wrote {write_expected(by_key[key])} -- now review it against the sources")
    return 0


def _push(to: str, paths: list[Path]) -> int:
    from .dataset import dataset_sources
    from .push import push_command
    from .validate import validate_command

    shapes = not paths or any("shapes" in p.parts or p.name.endswith(".shapes.ttl") for p in paths)
    # Without shapes there is nothing to validate against: push parses every file before
    # sending anything, which is what protects the engine's graphs.
    code = validate_command(paths or None) if shapes else 0
    if code != 0:
        print("coopkg push: the dataset does not validate; nothing was sent", file=sys.stderr)
        return code
    return push_command(to, dataset_sources(paths))


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    # Each command imports what it needs: `coopkg validate` never loads the web stack.
    if args.command == "validate":
        from .validate import validate_command

        return validate_command(args.paths, output_format=args.format, strict=args.strict)
    if args.command == "queries":
        return _queries(parser, args.write_expected)
    if args.command == "load":
        from .store import load_command

        return load_command(args.paths, args.store, force=args.force, append=args.append)
    if args.command == "push":
        return _push(args.to, args.paths)
    from .server import serve

    return serve(_serve_settings(args))


if __name__ == "__main__":
    sys.exit(main())
