"""The web UI's serving: the built files, the fallback to index.html, caching and headers."""

from __future__ import annotations

import base64
import gzip
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dlv.app import create_app
from dlv.config import Settings
from dlv.ui import UI_CSP

INDEX = """<!doctype html>
<html lang="en">
  <head>
    <script type="module" crossorigin src="./assets/index-AbC123.js"></script>
    <link rel="stylesheet" crossorigin href="./assets/index-DeF456.css">
  </head>
  <body><div id="root"></div></body>
</html>
"""


@pytest.fixture
def ui_dir(tmp_path: Path) -> Path:
    """A built UI as Vite lays it out."""
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text(INDEX)
    (dist / "assets" / "index-AbC123.js").write_text("console.log('dlv')")
    (dist / "assets" / "index-DeF456.css").write_text("body{}")
    (dist / "favicon.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    return dist


@pytest.fixture
def ui_client(settings: Settings, ui_dir: Path) -> Iterator[TestClient]:
    app = create_app(settings.model_copy(update={"ui_dir": ui_dir}))
    with TestClient(app) as c:
        yield c


def test_the_root_serves_the_ui_uncached(ui_client: TestClient) -> None:
    r = ui_client.get("/")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert '<div id="root">' in r.text
    assert r.headers["cache-control"] == "no-store"


def test_index_names_its_assets_from_the_root(ui_client: TestClient) -> None:
    # The build's relative ./assets/ would resolve under /nodes/<id>/ on a deep link.
    r = ui_client.get("/nodes/123/lineage")
    assert 'src="/assets/index-AbC123.js"' in r.text
    assert '<meta name="dlv-root-path" content="">' in r.text


def test_index_names_its_assets_under_a_proxy_prefix(settings: Settings, ui_dir: Path) -> None:
    app = create_app(settings.model_copy(update={"ui_dir": ui_dir}))
    with TestClient(app, root_path="/dlv") as c:
        r = c.get("/nodes/123")
    assert 'src="/dlv/assets/index-AbC123.js"' in r.text
    assert '<meta name="dlv-root-path" content="/dlv">' in r.text


@pytest.mark.parametrize("path", ["/search", "/nodes/0e0f/lineage", "/login?next=%2F"])
def test_client_side_routes_fall_back_to_index(ui_client: TestClient, path: str) -> None:
    r = ui_client.get(path)
    assert r.status_code == 200
    assert '<div id="root">' in r.text


def test_a_route_added_after_the_app_is_made_is_still_reached(
    settings: Settings, ui_dir: Path
) -> None:
    app = create_app(settings.model_copy(update={"ui_dir": ui_dir}))

    @app.get("/added-later")
    def added() -> dict[str, bool]:
        return {"reached": True}

    with TestClient(app) as c:
        assert c.get("/added-later").json() == {"reached": True}
        assert '<div id="root">' in c.get("/added-later/below").text


def test_a_head_request_for_a_page_is_answered(ui_client: TestClient) -> None:
    r = ui_client.head("/nodes/1")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")


def test_hashed_assets_are_cached_as_immutable(ui_client: TestClient) -> None:
    r = ui_client.get("/assets/index-AbC123.js")
    assert r.status_code == 200
    assert r.text == "console.log('dlv')"
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"


def test_a_client_accepting_gzip_gets_the_builds_gzipped_twin(
    ui_client: TestClient, ui_dir: Path
) -> None:
    script = "console.log('dlv');" * 200
    (ui_dir / "assets" / "big-Hash1.js").write_text(script)
    (ui_dir / "assets" / "big-Hash1.js.gz").write_bytes(gzip.compress(script.encode()))
    r = ui_client.get("/assets/big-Hash1.js", headers={"Accept-Encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip"
    assert r.headers["content-type"].startswith("text/javascript")
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert r.text == script  # httpx decompressed it
    plain = ui_client.get("/assets/big-Hash1.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.text == script
    assert plain.headers["vary"] == "Accept-Encoding"


def test_a_missing_asset_is_a_404_not_the_index(ui_client: TestClient) -> None:
    # HTML answered for a script would be run as one (and fail confusingly).
    r = ui_client.get("/assets/index-gone.js")
    assert r.status_code == 404
    assert '<div id="root">' not in r.text


def test_a_top_level_file_of_the_build_is_served(ui_client: TestClient) -> None:
    r = ui_client.get("/favicon.svg")
    assert r.status_code == 200
    assert r.text.startswith("<svg")


def test_a_path_outside_the_build_is_never_read(ui_client: TestClient, ui_dir: Path) -> None:
    (ui_dir.parent / "secret.txt").write_text("do not serve")
    for path in ("/..%2fsecret.txt", "/../secret.txt", "/%2e%2e/secret.txt"):
        assert "do not serve" not in ui_client.get(path).text


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_unknown_api_paths_stay_json_404s(ui_client: TestClient, method: str) -> None:
    r = ui_client.request(method, "/api/v1/no-such-thing")
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"


def test_a_wrong_method_on_an_api_route_stays_405(ui_client: TestClient) -> None:
    r = ui_client.put("/api/v1/nodes")
    assert r.status_code == 405


def test_the_ui_gets_a_strict_content_security_policy(ui_client: TestClient) -> None:
    headers = ui_client.get("/nodes/1").headers
    csp = headers["content-security-policy"]
    assert csp == UI_CSP
    script_src = re.search(r"script-src ([^;]*)", csp)
    assert script_src is not None
    assert script_src[1] == "'self'"  # no inline script, no eval, no other host
    assert "frame-ancestors 'none'" in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"


def test_api_answers_get_the_security_headers_too(client: TestClient) -> None:
    headers = client.get("/healthz").headers
    assert headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("page", ["/docs", "/docs/oauth2-redirect"])
def test_docs_inline_script_is_allowed_by_its_hash(client: TestClient, page: str) -> None:
    r = client.get(page)
    inline = [
        m[2]
        for m in re.finditer(r"<script([^>]*)>(.*?)</script>", r.text, re.S)
        if "src=" not in m[1]
    ]
    assert inline  # FastAPI's page does carry one
    csp = r.headers["content-security-policy"]
    for script in inline:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp
    assert "'unsafe-inline'" not in re.search(r"script-src ([^;]*)", csp)[1]  # type: ignore[index]


def test_without_a_build_the_root_says_how_to_build_it(settings: Settings, tmp_path: Path) -> None:
    app = create_app(settings.model_copy(update={"ui_dir": tmp_path / "nowhere"}))
    with TestClient(app) as c:
        r = c.get("/")
    assert r.status_code == 200
    assert "The web UI is not built" in r.text
    assert "make ui" in r.text
    assert "Traceback" not in r.text
