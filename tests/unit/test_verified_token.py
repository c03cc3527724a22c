"""An access token is verified once per distinct string, and its expiry at every use."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest
from litestar.exceptions import NotAuthorizedException

from server.auth.security import VerifiedToken

SECRET = "a-test-secret-that-is-long-enough-for-hs256"


def _token(minutes: float, jti: str = "j1") -> str:
    now = datetime.now(UTC)
    claims = {"sub": "7", "jti": jti, "iat": now, "exp": now + timedelta(minutes=minutes)}
    return jwt.encode(claims, SECRET, algorithm="HS256")


def test_a_token_verified_once_is_still_checked_for_expiry_and_signature() -> None:
    encoded = _token(10)
    first = VerifiedToken.decode(encoded, SECRET, "HS256")
    assert first.sub == "7" and first.jti == "j1"
    assert VerifiedToken.decode(encoded, SECRET, "HS256") is first  # kept, not parsed again
    with pytest.raises(NotAuthorizedException):  # the same string under another key
        VerifiedToken.decode(encoded, SECRET + "x", "HS256")
    head, payload, sig = encoded.split(".")
    with pytest.raises(NotAuthorizedException):  # one changed byte is a new string, verified
        VerifiedToken.decode(f"{head}.{payload}.{sig[:-2]}AA", SECRET, "HS256")
    with pytest.raises(NotAuthorizedException):
        VerifiedToken.decode(_token(-1, "j2"), SECRET, "HS256")


def test_a_kept_token_is_refused_once_it_has_expired(monkeypatch: pytest.MonkeyPatch) -> None:
    encoded = _token(1, "j3")
    assert VerifiedToken.decode(encoded, SECRET, "HS256").jti == "j3"
    later = datetime.now(UTC) + timedelta(minutes=2)

    class _Clock(datetime):
        @classmethod
        def now(cls, tz: object = None) -> datetime:  # type: ignore[override]
            return later

    monkeypatch.setattr("server.auth.security.datetime", _Clock)
    with pytest.raises(NotAuthorizedException):
        VerifiedToken.decode(encoded, SECRET, "HS256")
