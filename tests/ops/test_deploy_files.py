"""The deployment files: compose.yaml against the Compose Specification, the Dockerfile's basics.

No Docker engine runs where the suite runs, so these tests read the files themselves. The
Compose Specification's JSON schema comes from the ``check-jsonschema`` package, which vendors
it (its builtin ``vendor.compose-spec``: a snapshot of ``schema/compose-spec.json`` in the
compose-spec/compose-spec repository, taken for each release), so no network is needed.

The schema validator and the Dockerfile lint also run on deliberately broken copies, to show
that they can fail. PyYAML reads YAML 1.1 while Compose reads YAML 1.2: keep values such as
ports quoted (unquoted, `8000:8000` is a base-60 integer to YAML 1.1).
"""

from __future__ import annotations

import importlib.resources
import json
import re
import shlex
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema.validators
import pytest
import yaml
from jsonschema.protocols import Validator
from packaging.requirements import Requirement
from sqlalchemy.engine import make_url

from dlv.config import Settings

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "compose.yaml"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKERIGNORE = ROOT / ".dockerignore"
GITIGNORE = ROOT / ".gitignore"

BASE_IMAGE = "python:3.11-slim"
# The web UI is built by Node in a stage of its own; only its static files leave it.
UI_STAGE, UI_IMAGE = "ui", "node:20-slim"
REQUIRED_ENV = {"DLV_SECRET_KEY", "POSTGRES_PASSWORD", "DLV_BOOTSTRAP_ADMIN_PASSWORD"}


# ---------------------------------------------------------------------------------------------
# compose.yaml


class StrictLoader(yaml.SafeLoader):
    """A SafeLoader that refuses duplicate keys, as Docker Compose does (PyYAML keeps the last)."""


def _construct_mapping(loader: StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue  # `<<: *anchor` may be overridden by explicit keys
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                f"found duplicate key {key!r}",
                key_node.start_mark,
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=True)


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=StrictLoader)  # a SafeLoader: no arbitrary objects


def compose_schema() -> dict[str, Any]:
    resource = importlib.resources.files("check_jsonschema.builtin_schemas.vendor").joinpath(
        "compose-spec.json"
    )
    schema: dict[str, Any] = json.loads(resource.read_text(encoding="utf-8"))
    return schema


@pytest.fixture(scope="module")
def validator() -> Validator:
    schema = compose_schema()
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def schema_errors(validator: Validator, document: Any) -> list[str]:
    return sorted(f"{e.json_path}: {e.message}" for e in validator.iter_errors(document))


@pytest.fixture(scope="module")
def compose_text() -> str:
    return COMPOSE.read_text(encoding="utf-8")


@pytest.fixture
def compose(compose_text: str) -> dict[str, Any]:
    """A fresh copy of compose.yaml per test, free to break."""
    document = load_yaml(compose_text)
    assert isinstance(document, dict)
    return document


# ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}, ${VAR:+alt}, $VAR; $$ is
# a literal dollar.
INTERPOLATION = re.compile(
    r"\$(?:(?P<escaped>\$)"
    r"|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?P<op>:?[-?+])?(?P<arg>[^}]*)\}"
    r"|(?P<plain>[A-Za-z_][A-Za-z0-9_]*))"
)


def interpolate(value: str, env: Mapping[str, str]) -> str:
    """Compose's variable interpolation, enough for this file: raises on a missing ``:?``."""

    def replace(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        name = match["braced"] or match["plain"]
        current = env.get(name)
        op = match["op"] or ""
        if op in {":?", "?"} and (current is None or (op == ":?" and not current)):
            raise KeyError(f"{name}: {match['arg']}")
        if op in {":-", "-"} and (current is None or (op == ":-" and not current)):
            return match["arg"]
        if op in {":+", "+"}:
            return match["arg"] if current else ""
        return current or ""

    return INTERPOLATION.sub(replace, value)


def strings(node: Any) -> Iterator[str]:
    """Every string (keys too) in a parsed YAML document."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, Mapping):
        for key, value in node.items():
            yield from strings(key)
            yield from strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from strings(item)


def variables(document: Any) -> dict[str, set[str]]:
    """The variables compose.yaml interpolates, each with the operators it is used with."""
    found: dict[str, set[str]] = {}
    for text in strings(document):
        for match in INTERPOLATION.finditer(text):
            name = match["braced"] or match["plain"]
            if name:
                found.setdefault(name, set()).add(match["op"] or "")
    return found


def environment(service: Mapping[str, Any]) -> dict[str, str]:
    """A service's ``environment``, in either of its list or mapping forms."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.partition("=")[::2] for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def container_ports(service: Mapping[str, Any]) -> set[int]:
    """The container side of a service's ``ports`` (short and long syntax)."""
    result: set[int] = set()
    for entry in service.get("ports", []):
        if isinstance(entry, Mapping):
            result.add(int(entry["target"]))
            continue
        spec = str(entry).split("/", 1)[0]  # drop /tcp, /udp
        result.add(int(spec.rsplit(":", 1)[-1]))
    return result


def test_compose_spec_schema_is_vendored_and_valid() -> None:
    schema = compose_schema()
    assert "Compose" in schema.get("title", "")
    jsonschema.validators.validator_for(schema).check_schema(schema)


def test_compose_file_matches_the_compose_specification(
    validator: Validator, compose: dict[str, Any]
) -> None:
    assert schema_errors(validator, compose) == []


def _unknown_top_level_key(doc: dict[str, Any]) -> None:
    doc["servcies"] = {"typo": {"image": "redis:7"}}


def _service_is_a_string(doc: dict[str, Any]) -> None:
    doc["services"]["redis"] = "redis:7"


def _ports_is_a_string(doc: dict[str, Any]) -> None:
    doc["services"]["dlv"]["ports"] = "8000:8000"


def _unknown_service_key(doc: dict[str, Any]) -> None:
    doc["services"]["dlv"]["helthcheck"] = doc["services"]["dlv"].pop("healthcheck")


def _bad_depends_on_condition(doc: dict[str, Any]) -> None:
    doc["services"]["dlv"]["depends_on"]["postgres"]["condition"] = "healthy"


def _unknown_healthcheck_key(doc: dict[str, Any]) -> None:
    doc["services"]["postgres"]["healthcheck"]["every"] = "5s"


def _env_file_entry_without_path(doc: dict[str, Any]) -> None:
    doc["services"]["dlv"]["env_file"] = [{"required": False}]


@pytest.mark.parametrize(
    ("breakage", "expected"),
    [
        pytest.param(_unknown_top_level_key, "$: 'servcies' does not match", id="top-level-key"),
        pytest.param(
            _service_is_a_string,
            "$.services.redis: 'redis:7' is not of type 'object'",
            id="service-type",
        ),
        pytest.param(
            _ports_is_a_string,
            "$.services.dlv.ports: '8000:8000' is not of type 'array'",
            id="ports-type",
        ),
        pytest.param(
            _unknown_service_key,
            "$.services.dlv: Unevaluated properties are not allowed ('helthcheck'",
            id="service-key",
        ),
        pytest.param(_bad_depends_on_condition, "$.services.dlv.depends_on: ", id="condition"),
        pytest.param(
            _unknown_healthcheck_key,
            "$.services.postgres.healthcheck: 'every' does not match",
            id="healthcheck-key",
        ),
        pytest.param(_env_file_entry_without_path, "$.services.dlv.env_file: ", id="env-file"),
    ],
)
def test_schema_rejects_a_broken_compose_file(
    validator: Validator, compose: dict[str, Any], breakage: Any, expected: str
) -> None:
    breakage(compose)
    errors = schema_errors(validator, compose)
    assert any(e.startswith(expected) for e in errors), errors


def test_yaml_loader_refuses_duplicate_keys(compose_text: str) -> None:
    duplicated = compose_text.replace("  redis:\n", "  postgres:\n", 1)
    assert duplicated != compose_text
    with pytest.raises(yaml.constructor.ConstructorError, match="duplicate key 'postgres'"):
        load_yaml(duplicated)


def test_compose_has_the_four_services(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {"dlv", "worker", "postgres", "redis"}
    assert services["dlv"]["build"] == "."
    assert services["worker"]["image"] == services["dlv"]["image"]
    assert services["postgres"]["image"] == "postgres:16"
    assert services["redis"]["image"] == "redis:7"


def test_the_worker_runs_the_monitor_on_the_redis_service(compose: dict[str, Any]) -> None:
    dlv, worker = compose["services"]["dlv"], compose["services"]["worker"]
    assert worker["command"][:2] == ["dlv", "worker"]
    for service in (dlv, worker):
        env = environment(service)
        assert env["DLV_MONITOR"] == "celery"
        assert make_url(env["DLV_REDIS_URL"].replace("redis://", "postgresql://")).host == "redis"
    assert environment(worker)["DLV_DATABASE_URL"] == environment(dlv)["DLV_DATABASE_URL"]
    assert worker["depends_on"]["dlv"] == {"condition": "service_healthy"}  # migrated first


def test_dlv_starts_after_postgres_is_healthy(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["dlv"]["depends_on"]["postgres"] == {"condition": "service_healthy"}
    assert services["postgres"]["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]


def test_dlv_reads_an_optional_env_file(compose: dict[str, Any]) -> None:
    assert {"path": ".env", "required": False} in compose["services"]["dlv"]["env_file"]


def test_database_url_points_at_the_postgres_service(compose: dict[str, Any]) -> None:
    dlv, postgres = compose["services"]["dlv"], compose["services"]["postgres"]
    env = {"POSTGRES_PASSWORD": "pw-from-env"}
    url = make_url(interpolate(environment(dlv)["DLV_DATABASE_URL"], env))
    pg_env = {k: interpolate(v, env) for k, v in environment(postgres).items()}
    assert url.drivername == "postgresql+psycopg"
    assert url.host == "postgres"
    assert url.port == 5432
    assert url.username == pg_env["POSTGRES_USER"]
    assert url.password == pg_env["POSTGRES_PASSWORD"] == "pw-from-env"
    assert url.database == pg_env["POSTGRES_DB"]


def test_postgres_password_is_required(compose: dict[str, Any]) -> None:
    assert variables(compose)["POSTGRES_PASSWORD"] == {":?"}
    url = environment(compose["services"]["dlv"])["DLV_DATABASE_URL"]
    for env in ({}, {"POSTGRES_PASSWORD": ""}):
        with pytest.raises(KeyError, match=r"set it in \.env"):
            interpolate(url, env)


def test_every_service_has_a_healthcheck(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        test = service.get("healthcheck", {}).get("test")
        assert test, f"{name} has no healthcheck"
        assert test[0] in {"CMD", "CMD-SHELL"}, name
    dlv_check = " ".join(compose["services"]["dlv"]["healthcheck"]["test"])
    assert "/readyz" in dlv_check
    assert "urllib" in dlv_check


def test_named_volumes_are_declared(compose: dict[str, Any]) -> None:
    declared = set(compose.get("volumes") or {})
    used = set()
    for service in compose["services"].values():
        for volume in service.get("volumes", []):
            source = volume["source"] if isinstance(volume, Mapping) else volume.split(":")[0]
            if not source.startswith(("/", ".", "~", "$")):
                used.add(source)
    assert used
    assert used <= declared, used - declared


# ---------------------------------------------------------------------------------------------
# .env.example, .dockerignore


def env_example() -> dict[str, str]:
    result = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            key, sep, value = stripped.partition("=")
            assert sep, f".env.example: not KEY=value: {line!r}"
            result[key.strip()] = value.strip()
    return result


def test_env_example_documents_every_variable(compose: dict[str, Any]) -> None:
    documented = env_example()
    missing = REQUIRED_ENV - set(documented)
    assert not missing, missing
    assert set(variables(compose)) <= set(documented)


def test_env_example_holds_no_values() -> None:
    """Placeholders only: a value left here would be copied into real deployments."""
    assert {k: v for k, v in env_example().items() if v} == {}


def ignore_patterns(path: Path) -> set[str]:
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return {line.rstrip("/") for line in lines if line and not line.startswith("#")}


def test_secrets_and_local_state_stay_out_of_git_and_the_build_context() -> None:
    assert ".env" in ignore_patterns(GITIGNORE)
    dockerignore = ignore_patterns(DOCKERIGNORE)
    expected = {".env", ".git", ".venv", ".dlv", "**/__pycache__", ".pytest_cache"}
    expected |= {".mypy_cache", ".ruff_cache", ".hypothesis", "tests", "bench"}
    assert expected <= dockerignore, expected - dockerignore


# ---------------------------------------------------------------------------------------------
# Dockerfile


@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str
    line: int


def parse_dockerfile(text: str) -> list[Instruction]:
    """Instructions with continuations joined and comments dropped (no heredocs, no escape=)."""
    instructions: list[Instruction] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue  # also inside a continuation, as Docker does
        if not pending:
            start = number
        if line.endswith("\\"):
            pending.append(line[:-1].strip())
            continue
        pending.append(line)
        keyword, _, args = " ".join(pending).partition(" ")
        instructions.append(Instruction(keyword.upper(), args.strip(), start))
        pending = []
    assert not pending, "the Dockerfile ends inside a continuation"
    return instructions


def stages(instructions: list[Instruction]) -> list[list[Instruction]]:
    result: list[list[Instruction]] = []
    for instruction in instructions:
        if instruction.keyword == "FROM":
            result.append([instruction])
        elif result:
            result[-1].append(instruction)
    return result


def exec_form(args: str) -> list[str] | None:
    """The JSON array of an exec-form instruction, or None for the shell form."""
    if not args.startswith("["):
        return None
    value = json.loads(args)
    assert isinstance(value, list)
    return [str(v) for v in value]


def words(args: str) -> list[str]:
    return exec_form(args) or shlex.split(args)


def option(argv: list[str], name: str) -> str | None:
    for i, arg in enumerate(argv):
        if arg == name and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def env_vars(instructions: list[Instruction]) -> dict[str, str]:
    result: dict[str, str] = {}
    for instruction in instructions:
        if instruction.keyword != "ENV":
            continue
        tokens = shlex.split(instruction.args)
        if tokens and "=" not in tokens[0]:  # legacy `ENV KEY value`
            result[tokens[0]] = " ".join(tokens[1:])
        else:
            for token in tokens:
                key, _, value = token.partition("=")
                result[key] = value
    return result


def exposed_ports(instructions: list[Instruction]) -> set[int]:
    return {
        int(port.split("/")[0])
        for instruction in instructions
        if instruction.keyword == "EXPOSE"
        for port in instruction.args.split()
    }


BUILD_TOOLS = re.compile(
    r"^(gcc|g\+\+|cc|c\+\+|clang|make|cmake|build-essential|pkg-config|autoconf|automake"
    r"|libtool|rustc|cargo|git|python3?-dev|lib\S*-dev|\S+-dev(el)?)([=:].*)?$"
)
PACKAGE_INSTALL = re.compile(r"\b(?:apt-get|apt|aptitude|apk|yum|dnf)\s+(?:install|add)\b([^;&|]*)")


def build_tools_installed(command: str) -> set[str]:
    found = set()
    for match in PACKAGE_INSTALL.finditer(command):
        for token in match[1].split():
            if not token.startswith("-") and BUILD_TOOLS.match(token):
                found.add(token)
    return found


def dockerfile_problems(text: str) -> list[str]:
    """What this project requires of its Dockerfile, as a list of problems (empty: fine)."""
    all_stages = stages(parse_dockerfile(text))
    problems: list[str] = []
    if len(all_stages) < 2:
        problems.append("not a multi-stage build")
    for stage in all_stages:
        image = next(t for t in stage[0].args.split() if not t.startswith("--"))
        expected = UI_IMAGE if stage[0].args.split()[-1] == UI_STAGE else BASE_IMAGE
        if image != expected:
            problems.append(f"line {stage[0].line}: base image {image}, not {expected}")
    if not all_stages:
        return [*problems, "no FROM"]
    final = all_stages[-1]
    by_keyword: dict[str, list[Instruction]] = {}
    for instruction in final:
        by_keyword.setdefault(instruction.keyword, []).append(instruction)

    users = by_keyword.get("USER", [])
    if not users:
        problems.append("the final stage runs as root: no USER")
    elif users[-1].args.split(":")[0] in {"root", "0"}:
        problems.append(f"line {users[-1].line}: the final stage runs as root")

    for run in by_keyword.get("RUN", []):
        if tools := build_tools_installed(run.args):
            problems.append(f"line {run.line}: build tools in the final stage: {sorted(tools)}")
    for copy_ in by_keyword.get("COPY", []) + by_keyword.get("ADD", []):
        if "--from=" not in copy_.args:
            problems.append(f"line {copy_.line}: the final stage copies from the build context")

    checks = by_keyword.get("HEALTHCHECK", [])
    check = checks[-1].args if checks else ""
    if "/readyz" not in check:
        problems.append("no HEALTHCHECK on /readyz in the final stage")
    if "urllib" not in check or re.search(r"\b(curl|wget)\b", check):
        problems.append("the HEALTHCHECK must use python's urllib (slim has no curl or wget)")

    cmds = by_keyword.get("CMD", [])
    argv = exec_form(cmds[-1].args) if cmds else None
    if not argv or argv[:2] != ["dlv", "serve"]:
        problems.append("the CMD is not the exec form of `dlv serve`")
        argv = []
    port = option(argv, "--port") or "8000"
    if option(argv, "--host") != "0.0.0.0":
        problems.append("`dlv serve` does not listen on 0.0.0.0")
    if {int(port)} != exposed_ports(final):
        problems.append(f"EXPOSE {sorted(exposed_ports(final))} is not the served port {port}")

    if env_vars(final).get("DLV_HOME") != "/data":
        problems.append("DLV_HOME is not /data")
    volumes = [v for i in by_keyword.get("VOLUME", []) for v in words(i.args)]
    if "/data" not in volumes:
        problems.append("/data is not a VOLUME")
    return problems


@pytest.fixture(scope="module")
def dockerfile_text() -> str:
    return DOCKERFILE.read_text(encoding="utf-8")


def test_dockerfile_meets_the_basics(dockerfile_text: str) -> None:
    assert dockerfile_problems(dockerfile_text) == []


def test_final_stage_installs_the_builders_environment(dockerfile_text: str) -> None:
    builder, final = stages(parse_dockerfile(dockerfile_text))[-2:]
    name = builder[0].args.split()[-1]
    assert builder[0].args.lower().split()[-2] == "as"
    copies = [i.args for i in final if i.keyword == "COPY"]
    assert copies
    assert all(f"--from={name}" in c for c in copies), copies
    builder_runs = " ".join(i.args for i in builder if i.keyword == "RUN")
    assert "pip wheel" in builder_runs


def test_the_image_serves_the_web_ui_built_in_its_node_stage(dockerfile_text: str) -> None:
    all_stages = stages(parse_dockerfile(dockerfile_text))
    ui = next(s for s in all_stages if s[0].args.split()[-1] == UI_STAGE)
    assert "npm run build" in " ".join(i.args for i in ui if i.keyword == "RUN")
    final = all_stages[-1]
    ui_dir = env_vars(final)["DLV_UI_DIR"]
    assert any(i.keyword == "COPY" and i.args.split()[-1] == ui_dir for i in final)


def test_compose_port_matches_the_dockerfile(dockerfile_text: str, compose: dict[str, Any]) -> None:
    final = stages(parse_dockerfile(dockerfile_text))[-1]
    assert container_ports(compose["services"]["dlv"]) == exposed_ports(final) == {8000}


def _edit(text: str, old: str, new: str) -> str:
    assert old in text, f"the Dockerfile no longer contains {old!r}: update this test"
    return text.replace(old, new)


FINAL_USER = "USER 10001:10001\n"
BUILDER_ANCHOR = "WORKDIR /src\n"
SERVE = 'CMD ["dlv", "serve", "--host", "0.0.0.0", "--port", "8000"]'
GCC = "RUN apt-get update && apt-get install -y --no-install-recommends gcc libpq-dev\n"


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        pytest.param(FINAL_USER, "USER root\n", "runs as root", id="user-root"),
        pytest.param(FINAL_USER, "USER 0:0\n", "runs as root", id="user-0"),
        pytest.param(FINAL_USER, "", "no USER", id="no-user"),
        pytest.param(
            FINAL_USER,
            GCC + FINAL_USER,
            "build tools in the final stage: ['gcc', 'libpq-dev']",
            id="gcc",
        ),
        pytest.param(
            FINAL_USER,
            "COPY src /src\n" + FINAL_USER,
            "copies from the build context",
            id="copy-context",
        ),
        pytest.param("/readyz", "/healthz", "no HEALTHCHECK on /readyz", id="healthz"),
        pytest.param(
            'CMD ["python", "-c", ', 'CMD ["curl", "-f", ', "must use python's urllib", id="curl"
        ),
        pytest.param(
            'CMD ["dlv", "serve"',
            'CMD ["uvicorn", "dlv.app:create_app"',
            "`dlv serve`",
            id="not-dlv-serve",
        ),
        pytest.param(
            SERVE, "CMD dlv serve --host 0.0.0.0 --port 8000", "exec form", id="shell-form"
        ),
        pytest.param(
            SERVE,
            SERVE.replace("0.0.0.0", "127.0.0.1"),
            "does not listen on 0.0.0.0",
            id="loopback",
        ),
        pytest.param("EXPOSE 8000", "EXPOSE 8080", "is not the served port 8000", id="expose"),
        pytest.param("DLV_HOME=/data", "DLV_HOME=/tmp", "DLV_HOME is not /data", id="home"),
        pytest.param('VOLUME ["/data"]', "", "/data is not a VOLUME", id="volume"),
        pytest.param(
            "FROM python:3.11-slim AS runtime",
            "FROM python:3.12 AS runtime",
            "base image",
            id="base-image",
        ),
    ],
)
def test_dockerfile_lint_catches(dockerfile_text: str, old: str, new: str, problem: str) -> None:
    problems = dockerfile_problems(_edit(dockerfile_text, old, new))
    assert any(problem in p for p in problems), problems


def test_dockerfile_lint_catches_a_missing_healthcheck(dockerfile_text: str) -> None:
    start = dockerfile_text.index("HEALTHCHECK ")
    end = dockerfile_text.index("\n", dockerfile_text.index("  CMD ", start)) + 1
    problems = dockerfile_problems(dockerfile_text[:start] + dockerfile_text[end:])
    assert "no HEALTHCHECK on /readyz in the final stage" in problems


def test_dockerfile_lint_catches_a_single_stage_build(dockerfile_text: str) -> None:
    runtime = dockerfile_text.index("FROM python:3.11-slim AS runtime")
    problems = dockerfile_problems(dockerfile_text[runtime:])
    assert "not a multi-stage build" in problems


def test_build_tools_are_allowed_in_the_builder(dockerfile_text: str) -> None:
    assert dockerfile_problems(_edit(dockerfile_text, BUILDER_ANCHOR, BUILDER_ANCHOR + GCC)) == []


def test_image_logs_json(dockerfile_text: str) -> None:
    final = stages(parse_dockerfile(dockerfile_text))[-1]
    assert env_vars(final).get("DLV_LOG_FORMAT") == "json"


def seconds(duration: str) -> float:
    """A Compose duration such as ``1m30s`` or ``40s``."""
    units = {"h": 3600, "m": 60, "s": 1, "ms": 0.001}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|h|m|s)", duration)
    assert parts, duration
    assert "".join(n + u for n, u in parts) == duration, duration
    return sum(float(n) * units[u] for n, u in parts)


def test_dlv_gets_longer_to_stop_than_its_graceful_shutdown(compose: dict[str, Any]) -> None:
    # `dlv serve` waits up to 30 s (timeout_graceful_shutdown) for requests in flight.
    assert seconds(compose["services"]["dlv"]["stop_grace_period"]) > 30


# ---------------------------------------------------------------------------------------------
# docs/operations.md


def test_runbook_documents_every_setting() -> None:
    runbook = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    names = {f"DLV_{name.upper()}" for name in Settings.model_fields}
    assert {n for n in names if f"`{n}`" not in runbook} == set()


# ---------------------------------------------------------------------------------------------
# pyproject.toml and the Makefile: what `make run` shows a new user


def test_the_license_is_an_spdx_expression_the_build_backend_understands() -> None:
    # A TOML table made every install print a SetuptoolsDeprecationWarning; setuptools reads
    # the SPDX string (PEP 639) from version 77 on.
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["license"] == "Apache-2.0"
    (setuptools,) = [
        Requirement(r) for r in pyproject["build-system"]["requires"] if r.startswith("setuptools")
    ]
    assert "76.9" not in setuptools.specifier
    assert setuptools.specifier.contains("77.0")


def test_make_run_shows_the_install_as_it_goes() -> None:
    # ~30 s of silence on a first run looked like a hang.
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    installs = [line for line in makefile.splitlines() if "pip install" in line and " -e " in line]
    assert installs
    assert [line for line in installs if "--quiet" in line or " -q " in line] == []
