"""OpenLineage ingestion benchmark: a real server, concurrent HTTP clients, events/s and latency.

    python -m bench.ingest --db sqlite --mode single --events 20000
    python -m bench.ingest --db postgresql --mode batch --batch-size 100
    python -m bench.ingest --db sqlite --kill        # kill -9 mid-run, count lost acks

A fresh database (SQLite file, or a new PostgreSQL database dropped afterwards) is migrated,
an ingest token issued, and the app ``dlv serve`` runs (``dlv.app:create_app``) started on it
under uvicorn, with ``--server-workers`` processes. Client processes (each
with ``--threads`` keep-alive connections on one uvloop event loop, writing pre-built HTTP/1.1
requests: a few tens of microseconds of client CPU a request, so the load generator, which
shares the two cores with the server, takes little from it) then send START+COMPLETE pairs
of Airflow-like task events: one of ``--jobs`` tasks (in DAGs of 10, parent facet) reading 3
and writing 2 of ``--jobs * 2`` PostgreSQL tables, with schema, column lineage, SQL, job type,
ownership and documentation facets; 5% of runs FAIL with an error message. Events are built
and serialized before the clock starts. One warm-up run per job (not measured) creates the
catalog first, so the numbers are for a steady state where events update, not create.

Prints a Markdown row: events/s, request latency p50/p95/p99/max, and how long the catalog
took to catch up after the last acknowledgement (0 when events are mapped before the 201).
Then a line with the events each server worker took (how the connections fell between them)
and the host's speed on a fixed loop, to compare runs made at different hours.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import httpx
import uvloop
from prometheus_client.mmap_dict import MmapedDict
from sqlalchemy import select, text

from bench.common import free_port, postgres_database
from bench.ingest_events import runs
from dlv import migrate
from dlv.auth import service as auth_service
from dlv.auth.models import TokenScope
from dlv.auth.principal import SYSTEM
from dlv.auth.schemas import TokenCreate
from dlv.db import make_engine, make_sessionmaker, read_only
from dlv.ingestion.inbox import inbox_url
from dlv.ingestion.models import OpenLineageEvent

SECRET_KEY = "bench-secret-key-0123456789-abcdefghijklmnop"


# -- clients -------------------------------------------------------------------------------

Work = list[tuple[str, bytes, list[str]]]  # (path, body, run ids it carries)


async def _send_all(
    host: str,
    port: int,
    head: bytes,
    items: list[Work],
    out: tuple[list[float], list[str], list[int]],
) -> None:
    """One keep-alive connection sending its share of sequences; raw HTTP/1.1, so the client
    costs tens of microseconds a request and the two cores are left to the server."""
    latencies, acked, failures = out
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while items:
            for path, body, run_ids in items.pop():
                began = time.monotonic()
                request = b"POST %s HTTP/1.1\r\n%sContent-Length: %d\r\n\r\n" % (
                    path.encode(),
                    head,
                    len(body),
                )
                writer.write(request + body)
                status_line = await reader.readuntil(b"\r\n")
                headers = await reader.readuntil(b"\r\n\r\n")
                length = re.search(rb"(?i)content-length: *(\d+)", headers)
                await reader.readexactly(int(length.group(1)) if length else 0)
                if re.search(rb"(?i)connection: *close", headers):
                    # As HTTP clients do (requests, httpx): the next request on a new one.
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, port)
                latencies.append(time.monotonic() - began)
                if status_line.split()[1] in (b"200", b"201"):
                    acked.extend(run_ids)
                else:
                    failures[0] += 1
    except (OSError, asyncio.IncompleteReadError):
        failures[0] += 1  # the server is gone (the kill test)
    finally:
        writer.close()


def _client(url: str, token: str, work: list[Work], threads: int, go: Any, out: Any) -> None:
    """One client process: ``threads`` concurrent keep-alive connections on one event loop."""
    parts = urlsplit(url)
    head = (
        f"Host: {parts.netloc}\r\nAuthorization: Bearer {token}\r\n"
        "Content-Type: application/json\r\n"
    ).encode()
    latencies: list[float] = []
    acked: list[str] = []
    failures = [0]
    items = list(work)

    async def run() -> None:
        share = (latencies, acked, failures)
        await asyncio.gather(
            *(
                _send_all(parts.hostname or "", parts.port or 80, head, items, share)
                for _ in range(threads)
            )
        )

    go.wait()
    started, cpu = time.monotonic(), time.process_time()
    uvloop.run(run())
    out.put((started, time.monotonic(), latencies, acked, failures[0], time.process_time() - cpu))


def _plan(mode: str, all_runs: list[list[dict[str, Any]]], batch_size: int) -> list[Work]:
    if mode == "single":
        return [
            [("/api/v1/lineage", json.dumps(e).encode(), [e["run"]["runId"]]) for e in pair]
            for pair in all_runs
        ]
    events = [e for pair in all_runs for e in pair]
    work: list[Work] = []
    for i in range(0, len(events), batch_size):
        chunk = events[i : i + batch_size]
        ids = [e["run"]["runId"] for e in chunk]
        work.append([("/api/v1/lineage/batch", json.dumps(chunk).encode(), ids)])
    return work


# -- server and database -------------------------------------------------------------------


@contextmanager
def database(kind: str, workdir: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{workdir / 'bench.db'}"
    else:
        with postgres_database() as url:
            yield url


def issue_token(url: str) -> str:
    engine = make_engine(url)
    with make_sessionmaker(engine).begin() as session:
        _, secret = auth_service.create_token(
            session, SYSTEM, TokenCreate(name="bench", scope=TokenScope.ingest)
        )
    engine.dispose()
    return secret


def start_server(
    url: str, home: Path, mapping: str, workers: int
) -> tuple[str, subprocess.Popen[bytes]]:
    port = free_port()
    env = {
        **os.environ,
        "DLV_DATABASE_URL": url,
        "DLV_SECRET_KEY": SECRET_KEY,
        "DLV_HOME": str(home),
        "DLV_INGEST_MAPPING": mapping,
        # As the runbook has it for several workers; ``worker_split`` reads the files.
        "PROMETHEUS_MULTIPROC_DIR": str(home / "metrics"),
        # Request logs at INFO are part of a real deployment's cost: keep the default.
    }
    (home / "metrics").mkdir(exist_ok=True)
    log = (home / f"server-{port}.log").open("ab")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "dlv.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--workers",
            str(workers),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: --kill must reach every worker
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return base, proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"server did not start; see {log.name}")


def worker_split(home: Path) -> list[int]:
    """Events each server worker accepted, most first. The kernel hands a new connection to
    whichever worker accepts first, and a worker takes every connection waiting when it
    does: the few long-lived connections of a run often land 3 to 1 or 4 to 0, and the split
    moves the figures more than most changes do. Read from the per-process counter files of
    Prometheus's multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``, as a deployment with
    several workers sets it)."""
    counts = []
    for path in (home / "metrics").glob("counter_*.db"):
        values = MmapedDict.read_all_values_from_file(str(path))  # type: ignore[no-untyped-call]
        counts.append(
            sum(int(v) for key, v, *_ in values if json.loads(key)[1] == "dlv_ingest_events_total")
        )
    return sorted(counts, reverse=True)


def host_speed() -> float:
    """Milliseconds this host takes for a fixed piece of pure Python, best of three: the
    shared host's speed varies by half between hours, and this puts a run's figures in
    context."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        sum(range(3_000_000))
        best = min(best, time.perf_counter() - start)
    return best * 1000


_DB_URL: dict[str, str] = {}


def _count(sql: str, url: str | None = None) -> int:
    # A reader: on SQLite a plain engine would BEGIN IMMEDIATE and take the server's lock.
    engine = read_only(make_engine(url or _DB_URL["url"]))
    with engine.connect() as conn:
        n = conn.execute(text(sql)).scalar_one()
    engine.dispose()
    return int(n)


def _in_inbox() -> int:
    """Events acknowledged and waiting in the SQLite inbox (dlv.ingestion.inbox)."""
    url = inbox_url(_DB_URL["url"])
    return _count("SELECT count(*) FROM inbox_events", url) if url else 0


def _stored() -> int:
    return _count("SELECT count(*) FROM openlineage_events") + _in_inbox()


def wait_mapped(timeout: float = 600) -> float:
    """Seconds until the catalog has caught up with every stored event."""
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        unmapped = _count("SELECT count(*) FROM openlineage_events WHERE processed_at IS NULL")
        if unmapped + _in_inbox() == 0:
            break
        time.sleep(0.05)
    return time.monotonic() - began


def acked_present(url: str, run_ids: list[str]) -> int:
    """How many of ``run_ids`` have at least one stored raw event."""
    engine = read_only(make_engine(url))
    found: set[str] = set()
    with engine.connect() as conn:
        for i in range(0, len(run_ids), 500):
            chunk = [uuid.UUID(r) for r in run_ids[i : i + 500]]
            rows = conn.execute(
                select(OpenLineageEvent.run_id).where(OpenLineageEvent.run_id.in_(chunk))
            )
            found.update(str(r) for (r,) in rows)
    engine.dispose()
    return len(found)


def cpu_seconds(pid: int) -> float:
    """User+system CPU of a process and its children (uvicorn workers), from /proc."""
    total, tick = 0.0, os.sysconf("SC_CLK_TCK")
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


class Sent(NamedTuple):
    seconds: float
    latencies: list[float]
    acked: list[str]  # run ids of acknowledged events
    failures: int
    client_cpu: float  # seconds of CPU the client processes used


def load(
    base: str,
    token: str,
    work: list[Work],
    processes: int,
    threads: int,
    kill_after: int | None = None,
    proc: subprocess.Popen[bytes] | None = None,
) -> Sent:
    """Send ``work`` from client processes."""
    ctx = mp.get_context("fork")
    go, out = ctx.Event(), ctx.Queue()
    shares = [work[i::processes] for i in range(processes)]
    clients = [ctx.Process(target=_client, args=(base, token, s, threads, go, out)) for s in shares]
    for c in clients:
        c.start()
    go.set()
    if kill_after is not None and proc is not None:
        _kill_when(base, kill_after, proc)
    results = [out.get() for _ in clients]
    for c in clients:
        c.join()
    started = min(r[0] for r in results)
    ended = max(r[1] for r in results)
    latencies = [x for r in results for x in r[2]]
    acked = [x for r in results for x in r[3]]
    return Sent(
        ended - started,
        latencies,
        acked,
        sum(r[4] for r in results),
        sum(r[5] for r in results),
    )


def _kill_when(base: str, count: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if _stored() >= count:
            break
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)  # the supervisor and its workers, as a crash would
    proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--mode", choices=["single", "batch"], default="single")
    parser.add_argument("--mapping", choices=["inline", "background"], default="inline")
    parser.add_argument("--events", type=int, default=20_000, help="events (START+COMPLETE)")
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--processes", type=int, default=2, help="client processes")
    parser.add_argument("--threads", type=int, default=8, help="connections per client process")
    parser.add_argument("--server-workers", type=int, default=1)
    parser.add_argument("--kill", action="store_true", help="kill -9 the server mid-run")
    args = parser.parse_args()

    speed = host_speed()
    workdir = Path(tempfile.mkdtemp(prefix="dlv-bench-ingest-"))
    try:
        with database(args.db, workdir) as url:
            _DB_URL["url"] = url
            migrate.upgrade(url)
            token = issue_token(url)
            base, proc = start_server(url, workdir, args.mapping, args.server_workers)
            try:
                warm = _plan("batch", runs(args.jobs, args.jobs, seed=0), 100)
                load(base, token, warm, 1, 2)
                wait_mapped()
                measured = runs(args.events // 2, args.jobs, seed=1, start=args.jobs)
                work = _plan(args.mode, measured, args.batch_size)
                stored_before = _stored()
                kill_after = stored_before + args.events // 3 if args.kill else None
                cpu_before = cpu_seconds(proc.pid)
                sent = load(base, token, work, args.processes, args.threads, kill_after, proc)
                seconds, lat, acked = sent.seconds, sent.latencies, sent.acked
                if args.kill:
                    proc = start_server(url, workdir, args.mapping, args.server_workers)[1]
                    wait_mapped()  # acknowledged events left in the SQLite inbox move now
                    present = acked_present(url, sorted(set(acked)))
                    runs_acked = len(set(acked))
                    print(
                        f"| {args.db} | kill -9 once {args.events // 3} events were stored "
                        f"| {len(acked)} events acknowledged ({runs_acked} runs) "
                        f"| {present} runs present after restart | lost {runs_acked - present} |"
                    )
                    return
                lag = wait_mapped()
                split = worker_split(workdir)
                cpu_ms = (cpu_seconds(proc.pid) - cpu_before) * 1000 / max(len(acked), 1)
                client_ms = sent.client_cpu * 1000 / max(len(acked), 1)
                rate = len(acked) / seconds if seconds else 0.0
                print(
                    f"| {args.db} | {args.mode}"
                    f"{'' if args.mode == 'single' else f' x{args.batch_size}'} | {args.mapping} "
                    f"| {args.processes}x{args.threads} | {len(acked)} | {rate:,.0f} "
                    f"| {_pct(lat, 0.5):.1f} | {_pct(lat, 0.95):.1f} | {_pct(lat, 0.99):.1f} "
                    f"| {max(lat) * 1000 if lat else 0:.0f} | {lag:.1f} | {cpu_ms:.2f} "
                    f"| {client_ms:.2f} | {sent.failures} |"
                )
                total = sum(split) or 1
                print(
                    f"events per server worker: {' / '.join(f'{n:,}' for n in split)} "
                    f"({' / '.join(f'{100 * n / total:.0f}%' for n in split)}, warm-up included); "
                    f"host speed: {speed:.1f} ms for a fixed loop before the run"
                )
            finally:
                if proc.poll() is None:
                    proc.terminate()
                    proc.wait(30)
                problems = [
                    line
                    for log in workdir.glob("server-*.log")
                    for line in log.read_text(errors="replace").splitlines()
                    if "WARNING" in line or "ERROR" in line or "Traceback" in line
                ]
                if problems:
                    print(f"server log: {len(problems)} warnings/errors, first: {problems[0]}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
