"""The bare apps' whole authentication: the bearer token's signature and claims.

``tests/bench/bare_*.py`` check the caller's token as Linli signs it (HS256 with
``LINLI_SECRET_KEY``) and then look the account up in their own SQL (active, the token
not revoked). They import nothing of Linli, so that they measure only what they do.
"""

from __future__ import annotations

import os
from typing import Any

import jwt
from litestar import Request
from litestar.exceptions import NotAuthorizedException

SECRET = os.environ["LINLI_SECRET_KEY"]


def caller(request: Request[Any, Any, Any]) -> tuple[int, str]:
    """The caller's user id and token id (``jti``); 401 without a valid token."""
    header = request.headers.get("authorization")
    if not header:
        raise NotAuthorizedException("No JWT token found in request header")
    try:
        claims = jwt.decode(header.partition(" ")[-1], SECRET, algorithms=["HS256"])
        return int(claims["sub"]), str(claims.get("jti") or "")
    except (jwt.InvalidTokenError, KeyError, ValueError, TypeError) as exc:
        raise NotAuthorizedException("Invalid token") from exc
