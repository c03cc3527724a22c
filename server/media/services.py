"""Storing and serving photos: images only, small, deduplicated per uploader."""

from __future__ import annotations

import hashlib

from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.services import CurrentUser
from server.lib.errors import AppError, NotFound
from server.lib.i18n import N_
from server.media.models import Media
from server.wishes.services import WishService

__all__ = ["MAX_BYTES", "MediaService", "sniff"]

MAX_BYTES = 1024 * 1024  # phones shrink photos before upload; 1 MiB is plenty
_MAGIC = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"))


def sniff(data: bytes) -> str | None:
    """The image type from the bytes themselves (never trust the client's Content-Type)."""
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


class MediaService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def store(self, user: CurrentUser, data: bytes) -> str:
        if len(data) > MAX_BYTES:
            raise AppError(N_("The photo is too large (at most 1 MB)"), status_code=413)
        kind = sniff(data)
        if kind is None:
            raise AppError(N_("Only JPEG, PNG or WebP photos can be uploaded"), status_code=415)
        # The key is per uploader: the same bytes from two people are two photos, so that
        # holding a key proves who uploaded it (only the uploader may attach it to a wish).
        key = hashlib.sha256(b"%d\n" % user.id + data).hexdigest()
        if await self.session.get(Media, key) is None:
            community = next(iter(sorted(user.community_ids())), None)
            self.session.add(
                Media(
                    key=key,
                    content_type=kind,
                    size=len(data),
                    data=data,
                    uploaded_by=user.id,
                    community_id=community,
                )
            )
        return key

    async def load(self, user: CurrentUser, key: str) -> Media:
        """A photo for its uploader, or for whoever may see the wish or case it belongs to."""
        from server.cases.services import CaseService  # the cases domain builds on media

        media = await self.session.get(Media, key)
        if media is None or not (
            media.uploaded_by == user.id
            or await WishService(self.session).photo_visible_to(user, key)
            or await CaseService(self.session).photo_visible_to(user, key)
        ):
            raise NotFound(N_("Not found"))
        return media

    async def load_public(self, key: str) -> Media:
        """A photo shown on a public wish board or thanks wall, for anyone."""
        media = await self.session.get(Media, key)
        if media is None or not await WishService(self.session).photo_shown_publicly(key):
            raise NotFound(N_("Not found"))
        return media
