"""HTTP routes of graph import and export."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anyio.from_thread
from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from dlv.auth.dependencies import Admin, Reader
from dlv.db import SessionDep
from dlv.graph import service, stream
from dlv.graph.schemas import FORMAT, VERSION, ImportCounts
from dlv.nodes.router import Box

router = APIRouter(prefix="/api/v1", tags=["graph"])

PULL_BYTES = 1 << 20  # body bytes handed to the importing thread at a time
GZIP_RATIO = 8  # a gzip body may inflate to this many times the import size limit

# The header is what the importer checks first; the items of each section are validated one
# by one (problems collected, see docs/graph-format.md), too large a model to repeat here.
_DOCUMENT = {
    "application/json": {
        "schema": {
            "type": "object",
            "title": "dlv-graph document",
            "required": ["format", "version"],
            "properties": {
                "format": {"const": FORMAT},
                "version": {"const": VERSION},
                "nodes": {"type": "array"},
                "edges": {"type": "array"},
                "dashboards": {"type": "array"},
            },
        }
    }
}


@router.get(
    "/graph/export",
    operation_id="exportGraph",
    response_class=StreamingResponse,
    responses={200: {"description": "A dlv-graph document", "content": _DOCUMENT}},
)
def export_graph(request: Request, _: Reader) -> StreamingResponse:
    """The whole catalog and lineage graph as one dlv-graph document, streamed."""
    state = request.app.state

    def body() -> Iterator[bytes]:
        # The request's session is closed before streaming starts: the export has its own.
        with state.sessionmaker(bind=state.read_engine) as session:
            yield from service.export_document(session)

    return StreamingResponse(
        body(),
        media_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="dlv-graph.json"'},
    )


def _body(request: Request) -> Iterator[bytes]:
    """The request body, pulled from the event loop by the importing thread."""
    chunks = request.stream().__aiter__()
    done = False

    async def pull() -> bytes:
        nonlocal done
        parts: list[bytes] = []
        size = 0
        while size < PULL_BYTES:
            try:
                chunk = await chunks.__anext__()
            except StopAsyncIteration:
                done = True
                break
            parts.append(chunk)
            size += len(chunk)
        return b"".join(parts)

    while not done:
        block = anyio.from_thread.run(pull)
        if block:
            yield block


@router.post(
    "/graph/import",
    response_model=ImportCounts,
    operation_id="importGraph",
    responses={413: {"description": "The body or its decompressed size is over the limit"}},
    openapi_extra={"requestBody": {"required": True, "content": _DOCUMENT}},
)
async def import_graph(
    request: Request, session: SessionDep, actor: Admin, box: Box
) -> ImportCounts:
    """Upsert a dlv-graph document (`Content-Encoding: gzip` allowed); all or nothing."""
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    chunks: Iterator[bytes] = _body(request)
    if encoding == "gzip":
        limit: int = request.app.state.settings.import_max_bytes
        chunks = stream.gunzip(chunks, GZIP_RATIO * limit)
    elif encoding != "identity":
        raise stream.UnsupportedEncoding(
            f"Content-Encoding {encoding!r} is not supported; send gzip or no encoding"
        )
    result: Any = await run_in_threadpool(service.import_graph, session, actor, box, chunks)
    return ImportCounts.model_validate(result)
