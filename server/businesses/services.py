"""Registering caring businesses and telling who may claim wishes in their name."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import OFFICE_ROLES, User
from server.accounts.services import AccountService, CurrentUser
from server.audit.services import AuditService
from server.businesses.models import CaringBusiness
from server.businesses.schemas import BusinessUpdate, BusinessView
from server.grids.models import Community, Grid, Storefront
from server.grids.services import GridService
from server.lib.errors import NotFound
from server.lib.i18n import N_, localised_name
from server.lib.masking import mask_name

__all__ = ["BusinessService"]


class BusinessService:
    def __init__(self, session: AsyncSession, locale: str = "zh_Hans") -> None:
        self.session = session
        self.locale = locale
        self.audit = AuditService(session)

    def _rows(self) -> Select[Storefront, CaringBusiness, str, dict[str, str], str]:
        return (
            select(Storefront, CaringBusiness, Grid.name, Grid.name_i18n, User.name)
            .join(Grid, Grid.id == Storefront.grid_id)
            .outerjoin(CaringBusiness, CaringBusiness.storefront_id == Storefront.id)
            .outerjoin(User, User.id == CaringBusiness.contact_user_id)
        )

    def _views(self, rows: Sequence[Any], *, with_contact: bool) -> list[BusinessView]:
        return [
            BusinessView(
                code=store.code,
                name=store.name,
                address=store.address,
                trade=store.trade,
                grid=localised_name(grid_name, grid_i18n, self.locale),
                caring=business is not None and business.active,
                offer=business.offer if business is not None else "",
                contact=mask_name(contact) if contact and with_contact else None,
            )
            for store, business, grid_name, grid_i18n, contact in rows
        ]

    async def public_list(self, community_code: str) -> list[BusinessView]:
        """The caring businesses of a community, as anyone may see them (no contact)."""
        community = await GridService(self.session, self.locale).community(community_code)
        rows = (
            await self.session.execute(
                self._rows()
                .where(
                    Storefront.community_id == community.id,
                    CaringBusiness.active.is_(True),
                )
                .order_by(Storefront.code)
            )
        ).all()
        return self._views(rows, with_contact=False)

    async def storefronts(self, user: CurrentUser, community_code: str) -> list[BusinessView]:
        """Every storefront of a community with its caring-business standing, for its office."""
        community = await GridService(self.session, self.locale).community(
            community_code, user.scope_of(OFFICE_ROLES)
        )
        rows = (
            await self.session.execute(
                self._rows()
                .where(Storefront.community_id == community.id)
                .order_by(Storefront.code)
            )
        ).all()
        return self._views(rows, with_contact=True)

    async def update(
        self,
        user: CurrentUser,
        storefront_code: str,
        data: BusinessUpdate,
        client_ip: str | None = None,
    ) -> BusinessView:
        store = await self.session.scalar(
            select(Storefront).where(Storefront.code == storefront_code)
        )
        if store is None or not user.scope_of(OFFICE_ROLES).covers(store):
            raise NotFound(N_("No storefront has code {code}"), code=storefront_code)
        contact_id = None
        if data.contact_phone:
            # Only someone of the office's own area (a volunteer, a resident) is named: a
            # contact may claim the community's wishes, which is no power to hand outside it.
            contact_id = await self.session.scalar(
                select(User.id).where(
                    User.phone == data.contact_phone,
                    User.is_active.is_(True),
                    AccountService(self.session).visible(user.scope_of(OFFICE_ROLES)),
                )
            )
            if contact_id is None:
                raise NotFound(
                    N_(
                        "No one in your area has an account with this phone number; "
                        "register the person as a volunteer first"
                    )
                )
        business = await self.session.get(CaringBusiness, store.id)
        if business is None:
            business = CaringBusiness(
                storefront_id=store.id,
                **CaringBusiness.placed_in(store),
            )
            self.session.add(business)
        business.offer = data.offer.strip()
        business.contact_user_id = contact_id
        business.active = data.active
        self.audit.record(
            user.id,
            "business.update",
            "storefront",
            store.code,
            where=store,
            client_ip=client_ip,
            active=data.active,
            contact_user_id=contact_id,
        )
        await self.session.flush()
        rows = (await self.session.execute(self._rows().where(Storefront.id == store.id))).all()
        return self._views(rows, with_contact=True)[0]

    async def claimable(
        self, user: CurrentUser, community_ids: Collection[int]
    ) -> dict[int, list[Storefront]]:
        """Active caring businesses of these communities this user may claim wishes for,
        by community (two queries, however many communities).

        The business's contact claims for it; community staff in scope record claims
        for any of them (the owner phoned or walked in).
        """
        found: dict[int, list[Storefront]] = {cid: [] for cid in community_ids}
        if not found:
            return found
        office = user.scope_of(OFFICE_ROLES)
        communities = (
            await self.session.scalars(select(Community).where(Community.id.in_(found)))
        ).all()
        covered = [c.id for c in communities if office.covers(c)]
        query = (
            select(Storefront)
            .join(CaringBusiness, CaringBusiness.storefront_id == Storefront.id)
            .where(
                Storefront.community_id.in_(found),
                CaringBusiness.active.is_(True),
                or_(
                    Storefront.community_id.in_(covered),
                    CaringBusiness.contact_user_id == user.id,
                ),
            )
            .order_by(Storefront.code)
        )
        for store in (await self.session.scalars(query)).all():
            found[store.community_id].append(store)
        return found
