"""The service catalogue: reading it, administrators writing it, and checking the extra
field values a case brings against its item's field definitions."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import ADMIN_ROLES, STAFF_ROLES
from server.accounts.services import CurrentUser
from server.audit.services import AuditService
from server.cases.models import CloseLevel, FieldKind, ServiceCategory, ServiceItem
from server.cases.schemas import (
    CatalogueView,
    CategoryIn,
    CategoryView,
    ChoiceView,
    FieldIn,
    FieldView,
    ItemIn,
    ItemView,
    Names,
    NewItem,
)
from server.lib.errors import BadRequest, Conflict, Forbidden, NotFound
from server.lib.i18n import LOCALES, N_, localised_name

__all__ = ["CatalogueService", "check_field_values", "field_definitions", "label"]

MAX_TEXT = 500


def label(labels: dict[str, str], locale: str) -> str:
    """A field's or choice's label in ``locale`` (Simplified Chinese when missing)."""
    return labels.get(locale) or labels.get("zh_Hans") or next(iter(labels.values()), "")


def _names(names: Names) -> tuple[str, dict[str, str]]:
    return names.zh_Hans, {"zh_Hant": names.zh_Hant, "en": names.en}


def _all_names(name: str, i18n: dict[str, str] | None) -> dict[str, str]:
    return {"zh_Hans": name, **(i18n or {})}


def field_definitions(fields: list[FieldIn]) -> list[dict[str, Any]]:
    """Checked field definitions as stored: keys unique, choices for (and only for) choice."""
    seen: set[str] = set()
    stored: list[dict[str, Any]] = []
    for f in fields:
        if f.key in seen:
            raise BadRequest(N_("Two fields have the key {key}"), key=f.key)
        seen.add(f.key)
        if f.kind is FieldKind.choice and not f.choices:
            raise BadRequest(N_("The choice field {key} needs its choices"), key=f.key)
        if f.kind is not FieldKind.choice and f.choices:
            raise BadRequest(N_("Only a choice field has choices ({key})"), key=f.key)
        if len({c.value for c in f.choices}) != len(f.choices):
            raise BadRequest(N_("Two choices of {key} have the same value"), key=f.key)
        stored.append(
            {
                "key": f.key,
                "kind": str(f.kind),
                "label": {loc: getattr(f.label, loc) for loc in LOCALES},
                "required": f.required,
                "choices": [
                    {"value": c.value, "label": {loc: getattr(c.label, loc) for loc in LOCALES}}
                    for c in f.choices
                ],
            }
        )
    return stored


def check_field_values(
    fields: list[dict[str, Any]], values: dict[str, Any], locale: str
) -> dict[str, Any]:
    """The values of an item's extra fields as stored, or 400 with the reason (which field,
    in the reader's language). Unknown keys, missing required fields, wrong types and
    choices not offered are refused; empty optional values are dropped."""
    known = {f["key"]: f for f in fields}
    for key in values:
        if key not in known:
            raise BadRequest(
                N_("This service item has no field {key}"), error_code="bad_field", key=key
            )
    clean: dict[str, Any] = {}
    for f in fields:
        name = label(f["label"], locale)
        value = values.get(f["key"])
        if value is None or value == "":
            if f.get("required"):
                raise BadRequest(
                    N_("Fill in {field}"),
                    error_code="bad_field",
                    extra={"field": f["key"]},
                    field=name,
                )
            continue
        kind = f["kind"]
        ok = True
        if kind == FieldKind.text:
            ok = isinstance(value, str) and len(value) <= MAX_TEXT
            if ok:
                value = value.strip()
        elif kind == FieldKind.number:
            ok = (
                isinstance(value, (int, float))
                and not isinstance(value, bool)
                and math.isfinite(value)
            )
        elif kind == FieldKind.date:
            try:
                value = date.fromisoformat(value).isoformat() if isinstance(value, str) else None
            except ValueError:
                value = None
            ok = value is not None
        elif kind == FieldKind.choice:
            ok = isinstance(value, str) and value in {c["value"] for c in f["choices"]}
        if not ok:
            reason = {
                FieldKind.text: N_("{field} must be text of at most 500 characters"),
                FieldKind.number: N_("{field} must be a number"),
                FieldKind.date: N_("{field} must be a date (YYYY-MM-DD)"),
                FieldKind.choice: N_("{field} must be one of the choices offered"),
            }[FieldKind(kind)]
            raise BadRequest(reason, error_code="bad_field", extra={"field": f["key"]}, field=name)
        clean[f["key"]] = value
    return clean


class CatalogueService:
    def __init__(self, session: AsyncSession, locale: str = "zh_Hans") -> None:
        self.session = session
        self.locale = locale

    # --- reading ------------------------------------------------------------------------

    def item_view(self, item: ServiceItem, category: str, *, staff: bool) -> ItemView:
        loc = self.locale
        return ItemView(
            code=item.code,
            category=category,
            name=localised_name(item.name, item.name_i18n, loc),
            names=_all_names(item.name, item.name_i18n),
            close_level=item.close_level,
            deadline_hours=item.deadline_hours,
            mode=item.mode,
            fields=[
                FieldView(
                    key=f["key"],
                    kind=FieldKind(f["kind"]),
                    label=label(f["label"], loc),
                    required=bool(f.get("required")),
                    choices=[
                        ChoiceView(value=c["value"], label=label(c["label"], loc))
                        for c in f.get("choices", [])
                    ],
                )
                for f in item.fields
            ],
            active=item.active,
            department=(
                localised_name(item.department, item.department_i18n, loc)
                if item.department
                else None
            ),
            liaison=item.liaison if staff else None,
            liaison_phone=item.liaison_phone if staff else None,
        )

    async def catalogue(self, user: CurrentUser | None) -> CatalogueView:
        """Every category with its items (two queries); staff also see retired items and
        departments' liaisons."""
        staff = user is not None and user.has(*STAFF_ROLES)
        categories = (
            await self.session.scalars(
                select(ServiceCategory).order_by(ServiceCategory.position, ServiceCategory.code)
            )
        ).all()
        query = select(ServiceItem).order_by(ServiceItem.position, ServiceItem.code)
        if not staff:
            query = query.where(ServiceItem.active.is_(True))
        items = (await self.session.scalars(query)).all()
        by_category: dict[int, list[ServiceItem]] = {}
        for item in items:
            by_category.setdefault(item.category_id, []).append(item)
        return CatalogueView(
            categories=[
                CategoryView(
                    code=c.code,
                    name=localised_name(c.name, c.name_i18n, self.locale),
                    names=_all_names(c.name, c.name_i18n),
                    items=[
                        self.item_view(i, c.code, staff=staff) for i in by_category.get(c.id, [])
                    ],
                )
                for c in categories
            ]
        )

    async def get(self, code: str) -> tuple[ServiceItem, ServiceCategory]:
        row = (
            await self.session.execute(
                select(ServiceItem, ServiceCategory)
                .join(ServiceCategory, ServiceCategory.id == ServiceItem.category_id)
                .where(ServiceItem.code == code)
            )
        ).first()
        if row is None:
            raise NotFound(N_("No such service item"), error_code="unknown_item")
        return row[0], row[1]

    async def item(self, user: CurrentUser, code: str) -> ItemView:
        item, category = await self.get(code)
        return self.item_view(item, category.code, staff=user.has(*STAFF_ROLES))

    # --- writing (administrators) -------------------------------------------------------

    @staticmethod
    def _admin(user: CurrentUser) -> None:
        if not user.has(*ADMIN_ROLES):
            raise Forbidden(N_("Only administrators change the service catalogue"))

    async def put_category(
        self, user: CurrentUser, code: str, data: CategoryIn, client_ip: str | None
    ) -> CategoryView:
        self._admin(user)
        category = await self.session.scalar(
            select(ServiceCategory).where(ServiceCategory.code == code)
        )
        if category is None:
            category = ServiceCategory(code=code)
            self.session.add(category)
        category.name, category.name_i18n = _names(data.names)
        category.position = data.position
        await self.session.flush()
        AuditService(self.session).record(
            user.id, "service_category.put", "service_category", code, client_ip=client_ip
        )
        items = (
            await self.session.scalars(
                select(ServiceItem)
                .where(ServiceItem.category_id == category.id)
                .order_by(ServiceItem.position, ServiceItem.code)
            )
        ).all()
        return CategoryView(
            code=category.code,
            name=localised_name(category.name, category.name_i18n, self.locale),
            names=_all_names(category.name, category.name_i18n),
            items=[self.item_view(i, code, staff=True) for i in items],
        )

    async def _fill(self, item: ServiceItem, data: ItemIn) -> ServiceCategory:
        category = await self.session.scalar(
            select(ServiceCategory).where(ServiceCategory.code == data.category)
        )
        if category is None:
            raise BadRequest(N_("No such service category"), error_code="unknown_category")
        is_department = data.close_level is CloseLevel.department
        if is_department and (data.department is None or not data.liaison):
            raise BadRequest(N_("Name the department that closes this item and its liaison"))
        if not is_department and (data.department or data.liaison or data.liaison_phone):
            raise BadRequest(N_("Only an item closed by a department names one"))
        item.category_id = category.id
        item.name, item.name_i18n = _names(data.names)
        item.close_level = data.close_level
        item.deadline_hours = data.deadline_hours
        item.mode = data.mode
        item.fields = field_definitions(data.fields)
        if data.department is not None:
            item.department, item.department_i18n = _names(data.department)
        else:
            item.department, item.department_i18n = None, {}
        item.liaison = data.liaison
        item.liaison_phone = data.liaison_phone
        item.active = data.active
        item.position = data.position
        return category

    async def create_item(
        self, user: CurrentUser, data: NewItem, client_ip: str | None
    ) -> ItemView:
        self._admin(user)
        if await self.session.scalar(select(ServiceItem.id).where(ServiceItem.code == data.code)):
            raise Conflict(N_("A service item with this code exists"), error_code="exists")
        item = ServiceItem(code=data.code)
        category = await self._fill(item, data)
        self.session.add(item)
        await self.session.flush()
        AuditService(self.session).record(
            user.id, "service_item.create", "service_item", item.code, client_ip=client_ip
        )
        return self.item_view(item, category.code, staff=True)

    async def update_item(
        self, user: CurrentUser, code: str, data: ItemIn, client_ip: str | None
    ) -> ItemView:
        self._admin(user)
        item, _ = await self.get(code)
        category = await self._fill(item, data)
        await self.session.flush()
        AuditService(self.session).record(
            user.id, "service_item.update", "service_item", item.code, client_ip=client_ip
        )
        return self.item_view(item, category.code, staff=True)
