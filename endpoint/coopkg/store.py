"""`coopkg load PATH… --store DIR`: bulk-load RDF files into an on-disk Oxigraph store that
`coopkg serve --store DIR` serves at once, without parsing anything again.

- Any RDF format (by suffix, as `serve` reads them); the named graphs of TriG and N-Quads stay
  named graphs; the shipped data/ folder also fills the default graph with the union, as the
  embedded engine does.
- Never half-done: the files are loaded (Oxigraph's bulk loader) into a new folder beside DIR,
  which replaces DIR only once every file has loaded. A syntax error anywhere leaves DIR as it
  was and names the file, the line and the parser's message.
- The dataset's identity (the same hash of the files' content the embedded engine computes, so
  ETags agree) is recorded beside the store's files, in DIR (coopkg.meta.write_record), so no
  extra graph shows in queries. Loading other files into a store built
  from a different dataset is refused unless `--force` (replace it) or `--append` (add to it:
  the store is copied first, with a RocksDB checkpoint, so a failure still leaves it as it was).
- Progress on stderr: a bar (bytes, triples per second, ETA) on a terminal, plain lines every
  few seconds otherwise; then a report.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pyoxigraph as ox

from .dataset import DatasetInfo, GraphSource, LoadError, dataset_sources, load_file
from .files import RDF_SUFFIXES, rdf_files
from .meta import open_store, write_record

__all__ = ["LoadReport", "Refused", "bulk_load", "load", "load_command"]

_LINE_FORMATS = frozenset({"nt", "nquads"})  # one statement per line: lines count triples


@dataclass(frozen=True)
class LoadReport:
    info: DatasetInfo
    bytes: int
    seconds: float


class Refused(LoadError):
    """The store holds another dataset, and neither --force nor --append was given."""


class _Progress:
    """Counts bytes (and, for line formats, statements) as the loader reads them, and shows them:
    one line redrawn in place on a terminal, plain lines every few seconds otherwise."""

    def __init__(self, total: int, stream: IO[str]) -> None:
        self.tty = stream.isatty()
        self.stream = stream
        self.total, self.done, self.lines = total, 0, 0
        self.started = self.last = time.monotonic()
        self.every = 0.25 if self.tty else 5.0

    def advance(self, data: bytes, line_format: bool) -> None:
        self.done += len(data)
        if line_format:
            self.lines += data.count(b"\n")
        now = time.monotonic()
        if now - self.last >= self.every:
            self.last = now
            self._show(self._line(now))

    def _show(self, line: str) -> None:
        if self.tty:
            width = shutil.get_terminal_size((100, 24)).columns - 1
            self.stream.write("\r" + line[:width].ljust(width))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def _line(self, now: float) -> str:
        elapsed = now - self.started
        rate = self.done / elapsed if elapsed else 0
        eta = (self.total - self.done) / rate if rate else 0
        triples = f", {self.lines / elapsed:,.0f} triples/s" if self.lines and elapsed else ""
        return (
            f"coopkg load: {self.done / 2**20:,.1f} of {self.total / 2**20:,.1f} MiB "
            f"({100 * self.done / max(1, self.total):.0f} %){triples}, ETA {eta:.0f} s"
        )

    def file_done(self, path: Path) -> None:
        if not self.tty:  # the redrawn line shows it on a terminal
            self._show(f"coopkg load: {path} read; {self._line(time.monotonic())[13:]}")

    def close(self) -> None:
        if self.tty:
            self.stream.write("\r" + self._line(time.monotonic()) + "\n")
            self.stream.flush()


class _Reader(io.RawIOBase):
    """A file as the bulk loader reads it, hashed and counted on the way."""

    def __init__(self, raw: IO[bytes], progress: _Progress, line_format: bool) -> None:
        self.raw, self.progress, self.line_format = raw, progress, line_format
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        buffer[: len(data)] = data
        self.digest.update(data)
        self.progress.advance(data, self.line_format)
        return len(data)


def bulk_load(
    sources: list[GraphSource], store: ox.Store, progress: _Progress
) -> tuple[str, list[Path]]:
    """Load every file into `store`; (the dataset's etag, as coopkg.dataset.load_store computes
    it, and the files). LoadError names the file and line of a syntax error."""
    digest = hashlib.sha256()
    loaded: list[Path] = []
    for source in sources:
        for path in rdf_files([source.path]):
            fmt = RDF_SUFFIXES.get(path.suffix.lower())
            if fmt is None:
                raise LoadError(f"{path}: unknown RDF file type {path.suffix!r}")
            try:
                with path.open("rb") as raw:
                    reader = _Reader(raw, progress, fmt in _LINE_FORMATS)
                    buffered = io.BufferedReader(reader, 1 << 20)
                    load_file(store, buffered, path, fmt, source, bulk=True)
            except SyntaxError as exc:
                raise LoadError(f"{path}, line {exc.lineno or '?'}: {exc.msg}") from None
            except OSError as exc:
                raise LoadError(f"{path}: {exc.strerror or exc}") from None
            progress.file_done(path)
            digest.update(f"{source.graph}\0{source.union}\0{path.name}\0".encode())
            digest.update(reader.digest.digest())
            loaded.append(path)
    return digest.hexdigest()[:32], loaded


def _decide(target: Path, etag: str, force: bool, append: bool) -> str | None:
    """Why loading into `target` is refused, or None."""
    if not target.exists() or force or append:
        return None
    try:
        _, held = open_store(target)
    except LoadError:
        return f"{target} exists and is not a store coopkg load made; --force replaces it"
    if held.etag != etag:
        return (
            f"{target} holds another dataset ({held.etag}, {len(held.files)} files); "
            "--force replaces it, --append adds these files to it"
        )
    return None


def load(
    paths: list[Path], target: Path, *, force: bool, append: bool, stream: IO[str]
) -> LoadReport:
    started = time.monotonic()
    sources = dataset_sources(paths)
    files = rdf_files([s.path for s in sources])
    missing = [f for f in files if not f.is_file()]
    if missing:
        raise LoadError(f"{missing[0]}: no such file")
    total = sum(f.stat().st_size for f in files)
    work = target.with_name(f".{target.name}.loading")
    shutil.rmtree(work, ignore_errors=True)
    base: DatasetInfo | None = None
    if append and target.exists():
        source_store, base = open_store(target)
        source_store.backup(str(work))
        del source_store
    progress = _Progress(total, stream)
    try:
        store = ox.Store(str(work))
        etag, loaded = bulk_load(sources, store, progress)
        if base is not None:
            etag = hashlib.sha256(f"{base.etag}\0{etag}".encode()).hexdigest()[:32]
        refusal = _decide(target, etag, force, append)
        if refusal:
            raise Refused(refusal)
        named = tuple(sorted(g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode)))
        info = DatasetInfo(
            files=tuple(base.files if base else ()) + tuple(loaded),
            etag=etag,
            quads=len(store),
            named_graphs=named,
        )
        store.flush()
        del store
        write_record(work, info)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    finally:
        progress.close()
    _swap(work, target)
    return LoadReport(info, total, time.monotonic() - started)


def _swap(work: Path, target: Path) -> None:
    """Put the loaded store in place: the old one (if any) goes only after the new one is in."""
    old = target.with_name(f".{target.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    work.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def load_command(
    paths: list[Path], target: Path, *, force: bool = False, append: bool = False
) -> int:
    """What `coopkg load` does: 0 loaded, 1 refused (another dataset), 2 input not read."""
    try:
        report = load(paths, target, force=force, append=append, stream=sys.stderr)
    except LoadError as exc:
        print(f"coopkg load: {exc}; {target} is unchanged", file=sys.stderr)
        return 1 if isinstance(exc, Refused) else 2
    info = report.info
    rate = info.quads / report.seconds if report.seconds else 0
    print(
        f"coopkg load: {len(info.files)} files, {report.bytes / 2**20:,.1f} MiB, "
        f"{info.quads:,} quads in {len(info.named_graphs)} named graphs, "
        f"{report.seconds:.1f} s ({rate:,.0f} quads/s); dataset {info.etag} in {target}",
        file=sys.stderr,
    )
    return 0
