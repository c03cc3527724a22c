"""A storefront registered as a caring business, and who acts for it."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, TimestampMixin
from server.grids.models import InGrid

__all__ = ["CaringBusiness"]


class CaringBusiness(InGrid, TimestampMixin, Base):
    """爱心商户. A row per storefront that signed up; ``active`` false when it stepped back."""

    __tablename__ = "caring_businesses"

    storefront_id: Mapped[int] = mapped_column(
        ForeignKey("storefronts.id", ondelete="CASCADE"), primary_key=True
    )
    # The account (often the owner's volunteer account) that claims wishes for the business.
    contact_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id"), index=True, default=None
    )
    offer: Mapped[str] = mapped_column(String(200), default="")  # e.g. 每月免费理发 2 次
    active: Mapped[bool] = mapped_column(default=True)
    # The storefront's units, copied so the one scope rule applies as on every scoped table.
