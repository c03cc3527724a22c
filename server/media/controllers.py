"""Photo upload and download."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import PathParameter

from server.accounts.services import CurrentUser
from server.auth.security import PUBLIC_READ
from server.lib.deps import NO_AUTH, DbSession
from server.lib.errors import error_responses
from server.media.services import MAX_BYTES, MediaService

__all__ = ["MediaController", "Uploaded"]

Req = Request[CurrentUser, Any, Any]
MediaKey = Annotated[str, PathParameter(pattern=r"^[0-9a-f]{64}$")]


class Uploaded(msgspec.Struct, frozen=True):
    key: str


class MediaController(Controller):
    path = "/api/v1/media"
    tags = ["media"]

    @post(
        "/",
        summary="Upload a photo (JPEG, PNG or WebP, at most 1 MiB); returns its key",
        request_max_body_size=MAX_BYTES + 1024,
        responses=error_responses(401, 413, 415),
    )
    async def upload(self, request: Req, db_session: DbSession) -> Uploaded:
        # The raw image is the body (Content-Type image/jpeg, image/png or image/webp).
        body = await request.body()
        return Uploaded(key=await MediaService(db_session).store(request.user, body))

    @get(
        "/public/{key:str}",
        opt=PUBLIC_READ,
        security=NO_AUTH,
        summary="A photo shown on a public wish board or thanks wall",
        responses=error_responses(404),
        media_type="image/jpeg",
    )
    async def public(self, key: MediaKey, db_session: DbSession) -> Response[bytes]:
        media = await MediaService(db_session).load_public(key)
        # Not immutable: the photo stops being public when its wish leaves the board.
        return Response(
            media.data,
            media_type=media.content_type,
            headers={"Cache-Control": "public, max-age=600"},
        )

    @get(
        "/{key:str}",
        summary="A photo",
        responses=error_responses(401, 404),
        media_type="image/jpeg",
    )
    async def download(
        self,
        request: Req,
        key: MediaKey,
        db_session: DbSession,
    ) -> Response[bytes]:
        media = await MediaService(db_session).load(request.user, key)
        return Response(
            media.data,
            media_type=media.content_type,
            headers={"Cache-Control": "private, max-age=31536000, immutable"},
        )
