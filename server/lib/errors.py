"""Errors a person reads, translated into their language when the response is made.

Services raise :class:`AppError` with an English source message marked for
extraction; the exception handlers in :mod:`server.app` translate it into the
request's locale. Every client error says why, in a sentence, never a stack.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar.exceptions import HTTPException
from litestar.openapi.datastructures import ResponseSpec

__all__ = [
    "AppError",
    "BadRequest",
    "Conflict",
    "ErrorBody",
    "Forbidden",
    "NotFound",
    "Unauthorized",
    "error_responses",
]


class AppError(HTTPException):
    status_code = 400

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        error_code: str | None = None,
        extra: dict[str, Any] | list[Any] | None = None,
        headers: dict[str, str] | None = None,
        **params: object,
    ) -> None:
        super().__init__(
            detail=message,
            status_code=status_code or self.status_code,
            extra=extra,
            headers=headers,
        )
        self.message = message
        self.params = params
        self.code = error_code


class BadRequest(AppError):
    status_code = 400


class Unauthorized(AppError):
    status_code = 401


class Forbidden(AppError):
    status_code = 403


class NotFound(AppError):
    status_code = 404


class Conflict(AppError):
    status_code = 409


class ErrorBody(msgspec.Struct, frozen=True):
    """Every error answer: the status, a sentence in the caller's language, and details."""

    status_code: int
    detail: str
    code: str | None = None
    extra: Any = None


_DESCRIPTIONS = {
    400: "Bad request: the reason is in `detail` (and which field in `extra`)",
    401: "Not logged in, or the token expired or was revoked",
    403: "The caller's role or scope does not allow this",
    404: "Not found (or not in the caller's scope)",
    409: "Conflicts with the current state",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Well-formed but refused; the reasons are listed",
    423: "Locked after too many failures",
    429: "Too many requests; see Retry-After",
    503: "Unavailable",
}


def error_responses(*codes: int) -> dict[int, ResponseSpec]:
    """OpenAPI documentation of the error answers a handler gives."""
    return {
        code: ResponseSpec(
            data_container=ErrorBody, description=_DESCRIPTIONS[code], generate_examples=False
        )
        for code in codes
    }
