"""Which query parameter names count as secret, and how a URL is masked (no I/O)."""

from __future__ import annotations

import pytest

from dlv import urlsecrets


@pytest.mark.parametrize(
    "name",
    [
        "token",
        "access_token",
        "accessToken",
        "X-Amz-Security-Token",
        "authtoken",
        "password",
        "db_passwd",
        "pwd",
        "pass",
        "secret",
        "client_secret",
        "key",
        "api_key",
        "apiKey",
        "x-api-key",
        "AWSAccessKeyId",
        "sig",
        "signature",
        "X-Goog-Signature",
        "X-Amz-Credential",
        "auth",
        "jwt",
        "JSESSIONID",
        "code",
    ],
)
def test_secret_looking_names_are_secret(name: str) -> None:
    assert urlsecrets.is_secret_name(name)


@pytest.mark.parametrize(
    "name", ["limit", "api_version", "keyword", "monkey", "author", "bypass", "sv", "page"]
)
def test_ordinary_names_are_not_secret(name: str) -> None:
    assert not urlsecrets.is_secret_name(name)


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("http://u:pw@h:1/p?x=1", "http://***@h:1/p?x=1"),
        ("http://tok@h/", "http://***@h/"),
        ("https://h/?a=1&Token=t&b=2", "https://h/?a=1&Token=***&b=2"),
        ("https://h/p#access_token=t&state=s", "https://h/p#access_token=***&state=s"),
        ("https://h/?to%6Ben=t", "https://h/?to%6Ben=***"),
        ("https://h/?limit=5", "https://h/?limit=5"),
    ],
)
def test_mask_hides_userinfo_and_secret_parameters_only(url: str, masked: str) -> None:
    assert urlsecrets.mask(url) == masked


def test_find_reports_where_without_the_value() -> None:
    found = urlsecrets.find("https://h/?limit=1&api_key=abc123")
    assert found is not None
    assert found.describe() == "the query parameter 'api_key'"
    assert "abc123" not in found.describe()
