"""``dlv graph``: export the whole catalog and graph to a file, import one back."""

from __future__ import annotations

import gzip
import io
import os
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Annotated

import typer

from dlv.auth.principal import SYSTEM
from dlv.cli.context import instance_secret_key, instance_url, refused, transaction
from dlv.crypto import SecretBox
from dlv.db import make_engine, make_sessionmaker, read_only
from dlv.errors import DlvError
from dlv.graph import service
from dlv.graph.stream import maybe_gunzip

# No rich tracebacks: they print local variables (see cli.main).
app = typer.Typer(
    help="Import and export the whole graph.", no_args_is_help=True, pretty_exceptions_enable=False
)

READ_BYTES = 1 << 20
STDIO = "-"

FileArg = Annotated[str, typer.Argument(help="A file path, or - for stdin/stdout")]


@app.command("export")
def export(path: FileArg) -> None:
    """Write the catalog and graph as a dlv-graph document (a .gz path is gzipped)."""
    engine = make_engine(instance_url())
    try:
        with make_sessionmaker(read_only(engine))() as session:
            chunks = service.export_document(session)
            if path == STDIO:
                for chunk in chunks:
                    sys.stdout.buffer.write(chunk)
                sys.stdout.buffer.flush()
                return
            _write_file(Path(path), chunks)
    finally:
        engine.dispose()
    typer.echo(f"Exported the graph to {path}", err=True)


def _write_file(path: Path, chunks: Iterator[bytes]) -> None:
    # Written beside the target and renamed at the end: never a half-written file.
    part = path.with_name(path.name + ".part")
    try:
        with part.open("wb") as raw:
            out: IO[bytes] | io.BufferedIOBase = raw
            if path.suffix == ".gz":
                out = gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6)
            for chunk in chunks:
                out.write(chunk)
            out.close()
        os.replace(part, path)
    except BaseException:
        part.unlink(missing_ok=True)
        raise


def _chunks(f: IO[bytes]) -> Iterator[bytes]:
    while chunk := f.read(READ_BYTES):
        yield chunk


@app.command("import")
def import_(path: FileArg) -> None:
    """Upsert a dlv-graph document (gzip detected); all or nothing, problems on stderr."""
    instance_url()
    box = SecretBox(instance_secret_key())
    try:
        with ExitStack() as stack:
            f = sys.stdin.buffer if path == STDIO else stack.enter_context(open(path, "rb"))
            with transaction() as session:
                counts = service.import_graph(session, SYSTEM, box, maybe_gunzip(_chunks(f)))
    except OSError as exc:
        typer.secho(f"Cannot read {path}: {exc.strerror}", err=True, fg=typer.colors.RED)
        raise typer.Exit(code=1) from None
    except DlvError as exc:
        raise refused(exc) from None
    for name, value in counts.model_dump().items():
        typer.echo(f"{name}: {value}")


if __name__ == "__main__":
    app()
