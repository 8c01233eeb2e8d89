"""``WebSocket /api/v1/stream``: the event log, live, for the clients of this process.

Protocol (docs/api.md): the client's first message is a ``StreamRequest`` (its token, where
to resume, filters); the server answers ``hello``, then sends what was missed since
``last_event_id``, then live events. A refused or dropped connection is closed with one of
the ``Close`` codes and a reason in plain words.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import timedelta
from enum import IntEnum
from functools import partial
from typing import Any

from fastapi import APIRouter, FastAPI, WebSocket
from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker

from dlv.auth import service as auth_service
from dlv.auth.principal import Permission, Principal
from dlv.dashboards import service as dashboards_service
from dlv.db import every, in_thread
from dlv.errors import NotFound
from dlv.events import service
from dlv.events.hub import EventFilter, Hub, Published, Subscriber, tokens_of
from dlv.events.schemas import HelloMessage, StaleMessage, StreamRequest

log = logging.getLogger("dlv.events")
PRUNE_INTERVAL_SECONDS = 600
REASON_BYTES = 120  # a close frame's reason holds at most 123 bytes


class Close(IntEnum):
    """Close codes of the stream (4000-4999 are the application's)."""

    invalid = 4400  # the first message is not a valid StreamRequest (the reason names the field)
    unauthenticated = 4401  # the token is invalid, expired or revoked
    forbidden = 4403  # the token may not read (an ingest-only API token)
    not_found = 4404  # the dashboard_id names no dashboard
    timeout = 4408  # no valid first message in time
    too_slow = 4429  # the client fell behind: reconnect with the last id, nothing is lost
    unavailable = 1011  # the server could not check the token (database down): retry later
    restart = 1012  # the server is stopping: reconnect (to another one)


class Refused(Exception):
    def __init__(self, code: Close, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


class Gone(Exception):
    """The client went away."""


def _prune(factory: sessionmaker[Session], keep: timedelta) -> None:
    # Every process prunes; the deletes are idempotent and cheap when nothing is due.
    try:
        pruned = service.prune(factory, keep)
    except Exception:  # try again next time
        log.exception("pruning the event log failed")
        return
    if pruned:
        log.info("pruned %d events", pruned)


def _verdict(session: Session, key: str, token: str) -> tuple[Principal | None, Close | None]:
    principal = auth_service.principal_from_bearer(session, key, token)
    if principal is None:
        return None, Close.unauthenticated
    if not principal.can(Permission.read):
        return principal, Close.forbidden
    return principal, None


def _recheck(app: FastAPI, tokens: Iterable[str]) -> dict[str, Close | None]:
    with app.state.sessionmaker(bind=app.state.read_engine) as session:
        return {t: _verdict(session, app.state.secret_key, t)[1] for t in tokens}


async def _recheck_tokens(app: FastAPI, hub: Hub, seconds: float) -> None:
    """Close the connections whose token no longer holds (revoked, expired, user disabled
    or demoted): each distinct token is read once per round, whatever its connections."""
    while True:
        await asyncio.sleep(seconds)
        groups = tokens_of(hub.subscribers)
        if not groups:
            continue
        try:
            verdicts = await in_thread(_recheck, app, list(groups))
        except Exception:
            log.exception("re-checking the stream's tokens failed")
            continue
        for token, code in verdicts.items():
            if code is not None:
                for subscriber in groups[token]:
                    subscriber.stop(code)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = app.state.settings
    hub = Hub(
        partial(app.state.sessionmaker, bind=app.state.read_engine),
        poll_seconds=settings.stream_poll_seconds,
        grace_seconds=settings.stream_gap_grace_seconds,
    )
    await in_thread(hub.start_at_newest)
    app.state.event_hub = hub
    keep = timedelta(hours=settings.events_retention_hours)
    prune = partial(_prune, app.state.sessionmaker, keep)
    tasks = [
        asyncio.create_task(hub.run(), name="dlv-events-poll"),
        asyncio.create_task(
            _recheck_tokens(app, hub, settings.stream_auth_recheck_seconds),
            name="dlv-events-tokens",
        ),
    ]
    try:
        async with every(PRUNE_INTERVAL_SECONDS, prune, "dlv-events-prune"):
            yield
    finally:
        for subscriber in hub.subscribers:
            subscriber.stop(Close.restart)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


router = APIRouter(prefix="/api/v1", tags=["events"], lifespan=lifespan)


async def _first_message(websocket: WebSocket, seconds: float) -> StreamRequest:
    try:
        message = await asyncio.wait_for(websocket.receive(), seconds)
    except TimeoutError:
        raise Refused(Close.timeout, f"No valid first message within {seconds:g} s") from None
    if message["type"] == "websocket.disconnect":
        raise Gone
    raw: str | bytes = message.get("text") or message.get("bytes") or b""
    try:
        return StreamRequest.model_validate_json(raw)
    except ValidationError as exc:
        # The field and the rule, never the value sent (it may be the token).
        problem = exc.errors(include_input=False, include_url=False)[0]
        field = ".".join(str(p) for p in problem["loc"]) or "message"
        raise Refused(Close.invalid, f"{field}: {problem['msg']}") from None


def _authorize(app: FastAPI, request: StreamRequest) -> tuple[Principal, EventFilter]:
    """The caller and the filter they asked for; Refused when they may not have it."""
    with app.state.sessionmaker(bind=app.state.read_engine) as session:
        principal, refused = _verdict(session, app.state.secret_key, request.token)
        if refused is Close.unauthenticated or principal is None:
            raise Refused(Close.unauthenticated, "The token is invalid, expired or revoked")
        if refused is not None:
            raise Refused(Close.forbidden, "This needs the 'read' permission")
        node_ids = {str(n) for n in request.node_ids}
        if request.dashboard_id is not None:
            try:
                placed = dashboards_service.node_ids(session, request.dashboard_id)
            except NotFound:
                raise Refused(Close.not_found, "dashboard_id: no such dashboard") from None
            node_ids.update(str(n) for n in placed)
    chosen = EventFilter(
        kinds=frozenset(request.kinds),
        node_ids=frozenset(node_ids),
        namespaces=frozenset(request.namespaces),
        dashboard_id=str(request.dashboard_id) if request.dashboard_id else None,
    )
    return principal, chosen


async def _close(websocket: WebSocket, code: int, reason: str) -> None:
    reason = reason.encode()[:REASON_BYTES].decode(errors="ignore")
    with contextlib.suppress(Exception):  # the client may be gone already
        await websocket.close(code, reason)


def _start(hub: Hub, asked: str | None, upto: int) -> tuple[int, str | None]:
    """Where the client's stream starts, and why it should refetch, if it should."""
    if asked is None:
        return upto, None
    after = int(asked)
    oldest, newest = hub.bounds()
    if after > max(newest, upto):
        return upto, f"Event {after} is unknown here: refetch the state"
    if oldest > after + 1:
        return after, f"Events after {after} are no longer kept: refetch the state"
    return after, None


async def _send(
    websocket: WebSocket, hub: Hub, subscriber: Subscriber, after: int, upto: int
) -> None:
    last = after
    while last < upto:  # what was missed, from the database, in pages
        page: list[Published] = await in_thread(hub.page, last, upto)
        if not page:
            break
        for event in page:
            if subscriber.filter.matches(event):
                await websocket.send_text(event.text)
        last = page[-1].id
    last = max(last, upto)
    while (live := await subscriber.queue.get()) is not None:
        if live.id > last:  # a resuming client may be ahead of this process's poller
            await websocket.send_text(live.text)
            last = live.id


async def _drain(websocket: WebSocket) -> None:
    # Nothing is expected after the first message; reading notices a client that left.
    while (await websocket.receive())["type"] != "websocket.disconnect":
        pass


@router.websocket("/stream", name="stream")
async def stream(websocket: WebSocket) -> None:
    """Events as they happen; see docs/api.md for the protocol."""
    app: Any = websocket.app
    settings, hub = app.state.settings, app.state.event_hub
    await websocket.accept()
    try:
        request = await _first_message(websocket, settings.stream_auth_timeout_seconds)
        principal, chosen = await in_thread(_authorize, app, request)
    except Refused as refused:
        await _close(websocket, refused.code, refused.reason)
        return
    except Gone:
        return
    except Exception:  # the database is unreachable, say: the client may retry
        log.exception("authenticating a stream connection failed")
        await _close(websocket, Close.unavailable, "The server could not check the token: retry")
        return
    app.state.token_usage.seen(principal)
    subscriber = Subscriber(chosen, settings.stream_queue_size, token=request.token)
    upto = hub.horizon
    hub.subscribers.add(subscriber)  # from here on, live events queue up for it
    try:
        after, stale = await in_thread(_start, hub, request.last_event_id, upto)
        await websocket.send_text(HelloMessage(last_event_id=str(after)).model_dump_json())
        if stale:
            await websocket.send_text(StaleMessage(detail=stale).model_dump_json())
        sender = asyncio.create_task(_send(websocket, hub, subscriber, after, upto))
        reader = asyncio.create_task(_drain(websocket))
        await asyncio.wait((sender, reader), return_when=asyncio.FIRST_COMPLETED)
        for task in (sender, reader):
            task.cancel()
        await asyncio.gather(sender, reader, return_exceptions=True)
    except Exception:  # the client went away while we wrote to it
        return
    finally:
        hub.subscribers.discard(subscriber)
    code = subscriber.revoked or (Close.too_slow if subscriber.overflowed else None)
    if code:
        await _close(websocket, code, _REASONS[Close(code)])


_REASONS = {
    Close.unauthenticated: "The token is invalid, expired or revoked",
    Close.forbidden: "This needs the 'read' permission",
    Close.too_slow: "Too slow: reconnect with your last event id, nothing is lost",
    Close.restart: "The server is stopping: reconnect with your last event id",
}
