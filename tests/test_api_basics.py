from __future__ import annotations

import gzip
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from dlv.types import RFC3339_MESSAGE
from tests.conftest import Caller


def test_healthz_and_readyz_need_no_auth(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ok"}


def test_openapi_and_swagger_ui_are_served(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert (
        spec["components"]["securitySchemes"]["OAuth2PasswordBearer"]["flows"]["password"][
            "tokenUrl"
        ]
        == "/api/v1/auth/token"
    )
    assert "swagger-ui" in client.get("/docs").text


def _asset_urls(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', html)


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_load_nothing_from_another_host(client: TestClient, page: str) -> None:
    # Offline sites: a script or font from a CDN leaves the page blank there.
    r = client.get(page)
    assert r.status_code == 200
    assert re.findall(r"(?:https?:)?//[\w.-]+", r.text) == []
    assert _asset_urls(r.text)  # it does load its assets, from here


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_assets_are_served_with_their_content_type(client: TestClient, page: str) -> None:
    expected = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}
    for url in _asset_urls(client.get(page).text):
        r = client.get(url)
        assert r.status_code == 200, url
        assert r.headers["content-type"].startswith(expected[url[url.rindex(".") :]]), url
        assert len(r.content) > 1000, url


def test_swagger_authorize_offers_pasting_an_api_token(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["components"]["securitySchemes"]["APIToken"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "dlv_... API token, or a login token",
        "description": spec["components"]["securitySchemes"]["APIToken"]["description"],
    }
    for operation in (
        spec["paths"]["/api/v1/nodes"]["get"],
        spec["paths"]["/api/v1/lineage"]["post"],
    ):
        assert operation["security"] == [{"OAuth2PasswordBearer": []}, {"APIToken": []}]


def test_errors_are_problem_json(client: TestClient, admin: Caller) -> None:
    r = client.get("/api/v1/users/not-a-uuid", headers=admin.headers)
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert {"type", "title", "status", "detail", "errors"} <= body.keys()
    assert body["errors"][0]["field"] == "path.user_id"


def test_unknown_route_is_problem_json_404(client: TestClient) -> None:
    r = client.get("/api/v1/nope")
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"


def test_body_over_the_limit_is_413(client: TestClient, admin: Caller) -> None:
    big = b'{"name": "' + b"x" * (11 * 1024 * 1024) + b'", "scope": "read"}'
    r = client.post(
        "/api/v1/tokens", content=big, headers={**admin.headers, "Content-Type": "application/json"}
    )
    assert r.status_code == 413
    assert r.headers["content-type"] == "application/problem+json"


def test_chunked_body_over_the_limit_is_413(client: TestClient, admin: Caller) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"name": "'
        for _ in range(11):
            yield b"x" * (1024 * 1024)
        yield b'", "scope": "read"}'

    r = client.post(
        "/api/v1/tokens",
        content=chunks(),
        headers={**admin.headers, "Content-Type": "application/json"},
    )
    assert r.status_code == 413


def test_malformed_json_is_a_422_not_a_500(client: TestClient, admin: Caller) -> None:
    r = client.post(
        "/api/v1/tokens",
        content=b"{not json",
        headers={**admin.headers, "Content-Type": "application/json"},
    )
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"


def test_compressed_body_on_a_plain_route_is_a_4xx(client: TestClient, admin: Caller) -> None:
    # Only the import and ingestion routes take gzip; elsewhere it must be refused, not crash.
    r = client.post(
        "/api/v1/tokens",
        content=gzip.compress(b'{"name":"a","scope":"read"}'),
        headers={**admin.headers, "Content-Type": "application/json"},
    )
    assert 400 <= r.status_code < 500


def test_nul_in_a_json_field_is_422_naming_it(client: TestClient, admin: Caller) -> None:
    r = client.post(
        "/api/v1/nodes",
        json={"kind": "dataset", "namespace": "ns", "name": "t", "description": "a\x00b"},
        headers=admin.headers,
    )
    assert r.status_code == 422
    assert r.json()["errors"] == [
        {"field": "body.description", "message": "must not contain NUL characters"}
    ]


def test_nul_in_a_query_is_422(client: TestClient, admin: Caller) -> None:
    r = client.get("/api/v1/nodes?name=a%00b", headers=admin.headers)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "query"


def test_nul_in_a_login_is_422_not_500(client: TestClient) -> None:
    r = client.post("/api/v1/auth/token", data={"username": "a\x00", "password": "whatever1"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "body.username"


@pytest.mark.parametrize("path", ["/api/v1/runs", "/api/v1/audit"])
@pytest.mark.parametrize(
    "since",
    [
        "0.5",  # pydantic's Unix timestamp
        "2026-11-26",
        "2026-11-26T12:00:00",  # no offset: whose clock?
        "2026-11-26T12:00Z",
        "2026-11-26 12:00:00Z",
        "2026-11-26T12:00:00+0000",
        "2026-11-26T12:00:00,5Z",
    ],
)
def test_since_takes_rfc3339_date_times_only(
    client: TestClient, admin: Caller, path: str, since: str
) -> None:
    # The schema says format date-time; what pydantic reads beyond it the API refuses.
    r = client.get(path, params={"since": since}, headers=admin.headers)
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["errors"] == [{"field": "query.since", "message": RFC3339_MESSAGE}]


@pytest.mark.parametrize("path", ["/api/v1/runs", "/api/v1/audit"])
@pytest.mark.parametrize("since", ["2026-11-26T12:00:00Z", "2026-11-26t13:00:00.25+01:00"])
def test_since_accepts_rfc3339(client: TestClient, admin: Caller, path: str, since: str) -> None:
    r = client.get(path, params={"since": since}, headers=admin.headers)
    assert r.status_code == 200, r.text
