"""Credentials inside URLs: finding them (to refuse them) and masking them (to show a URL).

A connection's URL is a public field: viewers read it, the graph export and the audit trail
carry it. So a credential must never ride in one, neither as userinfo
(``https://user:password@host``, or ``https://token@host``) nor as a query or fragment
parameter whose name says it is secret (``?token=``, ``?api_key=``, ``#access_token=``).
Input validation refuses both (``find``); ``mask`` hides them wherever a URL stored before
that rule existed is shown.

A parameter name is secret when, split into words (at ``_ - .``, other punctuation and
camelCase humps, then lowercased), one word is in ``SECRET_WORDS``, or the name with its
separators removed contains one of ``SECRET_PARTS``. So ``token``, ``access_token``,
``X-Amz-Security-Token``, ``apiKey``, ``sig`` and ``X-Goog-Signature`` are secret;
``limit`` and ``keyword`` are not; ``sort_key`` is (a false alarm costs a clear 422, a miss
costs a leaked credential).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote_plus, urlsplit, urlunsplit

MASK = "***"

# Whole words that name a secret on their own.
SECRET_WORDS = frozenset(
    {
        "auth",
        "authorization",
        "bearer",
        "code",
        "cookie",
        "credential",
        "credentials",
        "hmac",
        "jwt",
        "key",
        "otp",
        "pass",
        "passwd",
        "password",
        "pwd",
        "secret",
        "session",
        "sig",
        "signature",
        "token",
    }
)
# Found anywhere in the name with its separators removed (``authtoken``, ``xapikey``).
SECRET_PARTS = (
    "token",
    "passw",
    "secret",
    "apikey",
    "accesskey",
    "privatekey",
    "signature",
    "credential",
    "sessionid",
)

_HUMP = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def is_secret_name(name: str) -> bool:
    """True when a query parameter named ``name`` would carry a credential."""
    lowered = _HUMP.sub("_", name).lower()
    words = [w for w in _NOT_ALNUM.split(lowered) if w]
    if any(w in SECRET_WORDS for w in words):
        return True
    compact = "".join(words)
    return any(part in compact for part in SECRET_PARTS)


@dataclass(frozen=True)
class Found:
    """Where a URL carries a credential: ``userinfo``, or a ``query``/``fragment`` parameter."""

    where: str
    name: str = ""

    def describe(self) -> str:
        """The finding in words, without the secret (a parameter's name is no secret)."""
        if self.where == "userinfo":
            return "a user name or password before the host (user:password@)"
        shown = self.name if len(self.name) <= 40 else self.name[:39] + "…"
        return f"the {self.where} parameter {shown!r}"


def _params(part: str) -> list[str]:
    if "=" not in part:
        return []
    return [name for name, _ in parse_qsl(part, keep_blank_values=True)]


def find(url: str) -> Found | None:
    """The first credential ``url`` carries, or None."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None  # not a URL at all: the URL validator says so
    if "@" in parts.netloc:
        return Found("userinfo")
    for where, text in (("query", parts.query), ("fragment", parts.fragment)):
        for name in _params(text):
            if is_secret_name(name):
                return Found(where, name)
    return None


def _mask_params(text: str) -> str:
    if "=" not in text:
        return text
    masked = []
    for pair in text.split("&"):
        name, sep, _ = pair.partition("=")
        masked.append(f"{name}={MASK}" if sep and is_secret_name(unquote_plus(name)) else pair)
    return "&".join(masked)


def mask(url: str) -> str:
    """``url`` with its userinfo and secret parameters replaced by ``***``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{MASK}@{netloc.rsplit('@', 1)[1]}"
    return urlunsplit(
        (
            parts.scheme,
            netloc,
            parts.path,
            _mask_params(parts.query),
            _mask_params(parts.fragment),
        )
    )


def mask_text(text: str) -> str:
    """``text`` masked when the whole string is an http(s) URL, else unchanged."""
    if text[:8].lower().startswith(("http://", "https://")):
        return mask(text)
    return text


def mask_all(value: Any) -> Any:
    """A copy of a JSON value with every string that is an http(s) URL masked."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {k: mask_all(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_all(v) for v in value]
    return value
