"""Encryption of connection secrets at rest (Fernet, key derived from DLV_SECRET_KEY by HKDF)."""

from __future__ import annotations

import base64
import json
from typing import cast

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# Separate derivations keep the encryption key independent of the JWT signing use of the
# same secret: leaking one derived key reveals nothing about the other.
_SALT = b"dlv/connection-secrets"
_INFO = b"fernet-v1"


class SecretsUnreadable(Exception):
    """The stored secrets were encrypted with another DLV_SECRET_KEY (or are corrupt)."""


def derive_fernet(secret_key: str) -> Fernet:
    """The Fernet instance for ``secret_key``."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=_INFO).derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(raw))


class SecretBox:
    """Encrypts a small dict of secret strings into one opaque token, and back."""

    def __init__(self, secret_key: str) -> None:
        self._fernet = derive_fernet(secret_key)

    def seal(self, secrets: dict[str, str]) -> str | None:
        """The encrypted form of ``secrets``; None when there are none."""
        if not secrets:
            return None
        return self._fernet.encrypt(json.dumps(secrets, sort_keys=True).encode()).decode()

    def open(self, token: str | None) -> dict[str, str]:
        """The secrets inside ``token``."""
        if not token:
            return {}
        try:
            return cast(dict[str, str], json.loads(self._fernet.decrypt(token.encode())))
        except InvalidToken as exc:
            raise SecretsUnreadable("stored secrets cannot be decrypted with this key") from exc
