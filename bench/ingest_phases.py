"""CPU per event of each ingestion phase, in-process, on a real database: where the time goes.

    python -m bench.ingest_phases --db postgresql
    python -m bench.ingest_phases --db sqlite --drain-batch 200

The events of ``bench/ingest.py`` (one warm-up run per job first, so the catalog exists),
sent through the server's own functions without HTTP: decoding batches of 100
(``decoding.parse_batch``), storing them as the writer does in background mode
(``writer.store``, one transaction per batch: into SQLite's inbox, PostgreSQL's events
table), and mapping them as the drain does, from the handoff (``runtime.drain_batch``, on
SQLite moving them out of the inbox). Prints this process's CPU time per event for each, and, on
PostgreSQL, the database server's (the postmaster and its backends, from ``/proc``; run it on an
otherwise quiet machine). ``bench/ingest.py`` measures the whole server over HTTP.
"""

from __future__ import annotations

import argparse
import gc
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from bench.ingest import cpu_seconds, database
from bench.ingest_events import runs
from dlv import migrate
from dlv.db import make_engine, make_sessionmaker, utcnow
from dlv.ingestion import decoding, service, writer
from dlv.ingestion.events import ParsedEvent
from dlv.ingestion.handoff import Handoff
from dlv.ingestion.inbox import Inbox, inbox_url
from dlv.ingestion.mapping import Sender, Sent
from dlv.ingestion.runtime import DRAIN_BATCH, GC_THRESHOLDS, drain_batch

SENDER = Sender("token", None, "bench")


def postgres_cpu() -> float:
    """CPU seconds of the PostgreSQL server and its backends so far (0 if it is not local)."""
    found = subprocess.run(
        ["pgrep", "-o", "-u", "postgres"], capture_output=True, text=True, check=False
    )
    postmaster = found.stdout.split()  # the oldest postgres process: the postmaster
    return cpu_seconds(int(postmaster[0])) if postmaster else 0.0


def decode(events: list[dict[str, object]]) -> list[Sent]:
    parsed = decoding.parse_batch(orjson.dumps(events).decode(), len(events))
    return [(p, SENDER) for p in parsed if isinstance(p, ParsedEvent)]


def with_quality(events: list[dict[str, Any]], every: int) -> list[dict[str, Any]]:
    """Every ``every``-th run's inputs carry dbt-test-shaped assertions and GE-shaped metrics
    (``inputFacets``, as ``tests/quality/events.py`` describes; one assertion in ten fails)."""
    for n, event in enumerate(events):
        if (n // 2) % every:
            continue
        for i, dataset in enumerate(event.get("inputs") or ()):
            dataset["inputFacets"] = {
                "dataQualityAssertions": {
                    "assertions": [
                        {"assertion": f"not_null_{c}", "column": c, "success": (n + i + k) % 10 > 0}
                        for k, c in enumerate(("id", "customer_id", "amount"))
                    ]
                },
                "dataQualityMetrics": {
                    "rowCount": 1000 + n,
                    "columnMetrics": {
                        "id": {"nullCount": 0, "distinctCount": 1000 + n},
                        "amount": {"min": 0.5, "max": 99.0, "quantiles": {"0.5": 10.0}},
                    },
                },
            }
    return events


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--runs", type=int, default=5000, help="runs (START + COMPLETE)")
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--drain-batch", type=int, default=DRAIN_BATCH)
    parser.add_argument(
        "--quality-every", type=int, default=0, help="every Nth run reports data quality (0: none)"
    )
    args = parser.parse_args()
    # A temporary directory removed afterwards: the SQLite file is ~20 MB a run.
    with (
        tempfile.TemporaryDirectory(prefix="dlv-bench-phases-") as workdir,
        database(args.db, Path(workdir)) as url,
    ):
        migrate.upgrade(url)
        engine = make_engine(url)
        factory = make_sessionmaker(engine)
        warm = decode([e for run in runs(args.jobs, args.jobs, seed=0) for e in run])
        with factory.begin() as session:
            service.ingest(session, warm, inline=True, now=utcnow())
        gc.collect()
        gc.freeze()
        gc.set_threshold(*GC_THRESHOLDS)  # as the server runs (runtime.tune_gc)
        events = [e for run in runs(args.runs, args.jobs, seed=1, start=args.jobs) for e in run]
        if args.quality_every:
            events = with_quality(events, args.quality_every)
        count = len(events)

        def phase(name: str, work: Callable[[], object]) -> None:
            cpu, db = time.process_time(), postgres_cpu()
            work()
            time.sleep(0.3)  # let PostgreSQL's background writers account their share
            db_ms = (postgres_cpu() - db) * 1000 / count
            print(
                f"{name:8s} {(time.process_time() - cpu) * 1000 / count:.3f} ms/event"
                + (f", postgres {db_ms:.3f} ms/event" if args.db == "postgresql" else "")
            )

        batches: list[list[Sent]] = []
        handoff = Handoff(size=count)

        def parse() -> None:
            batches.extend(decode(events[i : i + 100]) for i in range(0, count, 100))

        # SQLite: through the inbox, its ids after the warm-up's, as the server starts it.
        box = Inbox(url, keep=count) if inbox_url(url) else None
        if box is not None:
            with factory() as session:
                box.continue_ids(session)

        def store() -> None:
            for batch in batches:
                ids, _ = writer.store(factory, box, batch, inline=False)
                handoff.put(zip(ids, batch, strict=True))

        def drain() -> None:
            while drain_batch(factory, handoff, box, args.drain_batch) == args.drain_batch:
                pass

        phase("decode", parse)
        phase("store", store)
        phase("map", drain)
        engine.dispose()
        if box is not None:
            box.dispose()


if __name__ == "__main__":
    main()
