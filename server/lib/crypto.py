"""Sealing personal data at rest (ID numbers): AES-256-GCM.

The key is ``LINLI_DATA_KEY`` (base64 of 32 bytes) when set — keep it apart
from the database and its backups — else derived from the token secret with
HKDF, so a fresh install works, and a stolen database alone does not reveal
the numbers.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from functools import cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from server.config import get_settings

__all__ = ["blind_index", "open_sealed", "seal"]

_VERSION = b"\x01"


@cache
def _key() -> bytes:
    explicit = os.environ.get("LINLI_DATA_KEY")
    if explicit:
        key = base64.b64decode(explicit)
        if len(key) != 32:
            raise ValueError("LINLI_DATA_KEY must be base64 of 32 bytes")
        return key
    secret = get_settings().secret_key.encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"linli", info=b"linli-pii-v1").derive(
        secret
    )


def seal(plaintext: str, *, context: bytes = b"") -> bytes:
    nonce = secrets.token_bytes(12)
    return _VERSION + nonce + AESGCM(_key()).encrypt(nonce, plaintext.encode(), context)


def open_sealed(sealed: bytes, *, context: bytes = b"") -> str:
    if not sealed.startswith(_VERSION):
        raise ValueError("unknown sealing version")
    nonce, body = sealed[1:13], sealed[13:]
    return AESGCM(_key()).decrypt(nonce, body, context).decode()


@cache
def _index_key() -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"linli", info=b"linli-blind-index-v1"
    ).derive(_key())


def blind_index(value: str, *, purpose: bytes) -> str:
    """A keyed hash (HMAC-SHA256, hex) to find a value again without storing it.

    Phone numbers are few enough to hash them all, so a plain hash would hide
    nothing; this one needs the data key. Normalise ``value`` before calling.
    """
    return hmac.new(_index_key(), purpose + b"\0" + value.encode(), hashlib.sha256).hexdigest()
