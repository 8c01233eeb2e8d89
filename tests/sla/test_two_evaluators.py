"""Two server processes evaluating one database: each breach is one transition, made by one
of them (the lease row is locked through the round that uses it)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from dlv.audit.models import AuditRecord
from dlv.health.models import HealthCheck
from dlv.nodes.models import Node
from dlv.sla.loop import SlaEvaluator
from tests.ingestion.conftest import Poster
from tests.sla.conftest import Clock, after, job, run
from tests.sla.test_evaluation import FRESH_2H, set_sla

ROUNDS = 5


def test_two_evaluators_make_one_transition_not_two(
    poster: Poster,
    factory: sessionmaker[Session],
    clock: Clock,
    evaluator: Callable[[str], SlaEvaluator],
) -> None:
    run(poster, 0)
    node_id = job(poster)["id"]
    set_sla(factory, node_id, FRESH_2H, after(2))
    clock.now = after(200)
    evaluators = [evaluator("a"), evaluator("b")]
    start = threading.Barrier(len(evaluators))
    results: dict[str, list[int | None]] = {e.holder: [] for e in evaluators}

    def rounds(e: SlaEvaluator) -> None:
        start.wait()
        for _ in range(ROUNDS):
            results[e.holder].append(e.tick())

    threads = [threading.Thread(target=rounds, args=(e,)) for e in evaluators]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # One process led every round; the other never evaluated.
    led = [holder for holder, got in results.items() if any(r is not None for r in got)]
    assert len(led) == 1, results
    assert sorted(r for got in results.values() for r in got if r is not None) == [0] * (
        ROUNDS - 1
    ) + [1]
    with factory() as session:
        pk = session.scalars(select(Node.pk).where(Node.id == uuid.UUID(node_id))).one()
        late = select(func.count()).where(
            AuditRecord.action == "sla.late", AuditRecord.target_id == node_id
        )
        assert session.scalar(late) == 1
        rows = select(func.count()).where(HealthCheck.node_pk == pk, HealthCheck.status == "late")
        assert session.scalar(rows) == 1
