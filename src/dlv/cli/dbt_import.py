"""``dlv import dbt``: a dbt project's manifest.json (and run_results.json) into the catalog."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from dlv.auth.principal import SYSTEM
from dlv.cli.context import fail, instance_secret_key, instance_url, refused, transaction
from dlv.crypto import SecretBox
from dlv.dbt import service
from dlv.dbt.mapping import DEFAULT_JOB_NAMESPACE, dataset_namespace
from dlv.errors import DlvError

app = typer.Typer(
    help="Import lineage from other tools' files.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _read(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_bytes())
    except OSError as exc:
        raise fail(f"Cannot read {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise fail(f"{path} is not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise fail(f"{path} is not a dbt artifact (not a JSON object)")
    return value


@app.command("dbt")
def dbt(
    manifest: Annotated[Path, typer.Argument(help="target/manifest.json")],
    run_results: Annotated[
        list[Path] | None,
        typer.Argument(help="target/run_results.json of each command (seed, run, test), in order"),
    ] = None,
    host: Annotated[
        str | None, typer.Option(help="The warehouse's host, as in profiles.yml")
    ] = None,
    port: Annotated[int, typer.Option(help="The warehouse's port", min=1, max=65535)] = 5432,
    namespace: Annotated[
        str | None,
        typer.Option(help="Dataset namespace (instead of --host/--port), e.g. postgres://db:5432"),
    ] = None,
    job_namespace: Annotated[
        str, typer.Option(help="Job namespace: dbt-ol's OPENLINEAGE_NAMESPACE")
    ] = DEFAULT_JOB_NAMESPACE,
) -> None:
    """Upsert a dbt project's tables, models and tests, named as dbt-ol names them."""
    if (host is None) == (namespace is None):
        raise fail("error: give --host (and --port) or --namespace: where the tables live")
    instance_url()
    box = SecretBox(instance_secret_key())
    document = _read(manifest)
    adapter = str((document.get("metadata") or {}).get("adapter_type") or "postgres")
    datasets = namespace or dataset_namespace(adapter, str(host), port)
    results = [_read(path) for path in run_results or ()]
    try:
        with transaction() as session:
            done = service.import_artifacts(
                session, SYSTEM, box, document, results, datasets, job_namespace
            )
    except DlvError as exc:
        raise refused(exc) from None
    for name, value in done.graph.model_dump().items():
        typer.echo(f"{name}: {value}")
    typer.echo(f"statuses_set: {done.statuses_set}")
    typer.echo(f"in_error: {done.in_error}")
