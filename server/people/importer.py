"""Bulk import of residents from the sheet a community office already keeps (CSV or XLSX).

Columns are matched by their Chinese or English header; every row is validated
(types, phone and ID-number formats, the building exists and lies in the
importer's area, care tags known) and the report lists each rejected row with
its reason. Nothing of a file with a rejected row is written. Re-importing the
same sheet updates residents in place (same name, building and unit).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import msgspec

from server.lib.i18n import N_

__all__ = [
    "COLUMNS",
    "VOLUNTEER_COLUMNS",
    "ParsedRow",
    "id_number_ok",
    "read_rows",
    "read_sheet",
    "read_volunteer_rows",
]

# header (any of these spellings) → field of ResidentCreate
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "name"),
    "phone": ("手机", "手机号", "手机号码", "电话", "phone"),
    "building_code": ("楼栋编码", "楼栋", "building_code", "building"),
    "unit": ("单元", "单元室", "门牌", "unit"),
    "birth_year": ("出生年份", "birth_year"),
    "is_minor": ("未成年", "is_minor"),
    "care_tags": ("关爱标签", "关爱对象", "care_tags"),
    "id_number": ("身份证号", "身份证", "id_number"),
    "notify_via": ("通知方式", "notify_via"),
}
TAG_NAMES = {
    "独居老人": "elderly_alone",
    "残疾": "disabled",
    "残疾人": "disabled",
    "低保": "low_income",
    "低保户": "low_income",
    "留守儿童": "left_behind_child",
    "重病": "serious_illness",
    "大病": "serious_illness",
    "空巢老人": "empty_nest",
    "退役军人": "veteran",
}
VIA_NAMES = {"短信": "sms", "推送": "push", "都要": "both", "短信和推送": "both"}
YES = {"是", "yes", "true", "1", "y"}


@dataclass(frozen=True, slots=True)
class ParsedRow:
    row: int
    values: dict[str, Any] | None
    problem: tuple[str, dict[str, object]] | None = None


def id_number_ok(number: str) -> bool:
    """GB 11643 check digit (ISO 7064 MOD 11-2) of an 18-character resident ID number."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(number[:17], weights, strict=True))
    return "10X98765432"[total % 11] == number[17].upper()


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):  # Excel on Chinese Windows saves CSV as GBK
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValueError("undecodable")


def _table(data: bytes) -> list[list[str]]:
    if data[:2] == b"PK":  # XLSX is a zip
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).active
        if sheet is None:
            return []
        return [
            ["" if v is None else str(v).strip() for v in row]
            for row in sheet.iter_rows(values_only=True)
        ]
    return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(_decode(data)))]


def _split(value: str) -> list[str]:
    for sep in ("；", ";", "、", "，", ","):
        value = value.replace(sep, "|")
    return [v.strip() for v in value.split("|") if v.strip()]


Problem = tuple[str, dict[str, object]]


def read_sheet(
    data: bytes, columns: dict[str, tuple[str, ...]], required: tuple[str, ...]
) -> tuple[dict[str, int], list[list[str]], Problem | None]:
    """(column → index, body rows) of a CSV or XLSX sheet; or a problem with the whole file."""
    try:
        table = [r for r in _table(data) if any(r)]
    except Exception:
        return {}, [], (N_("The file is not a CSV or XLSX sheet"), {})
    if not table:
        return {}, [], (N_("The file is empty"), {})
    header = [h.strip().lower() for h in table[0]]
    index: dict[str, int] = {}
    for field, names in columns.items():
        for i, h in enumerate(header):
            if h in names:
                index[field] = i
    missing = [columns[f][0] for f in required if f not in index]
    if missing:
        return {}, [], (N_("Missing columns: {columns}"), {"columns": "、".join(missing)})
    return index, table[1:], None


def read_rows(data: bytes, known_tags: set[str]) -> tuple[list[ParsedRow], Problem | None]:
    """Rows as ResidentCreate-shaped dicts, each with its problem; or a problem with the whole file."""
    index, body, problem = read_sheet(data, COLUMNS, ("name", "building_code"))
    if problem is not None:
        return [], problem
    return list(_rows(body, index, known_tags)), None


VOLUNTEER_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "name"),
    "phone": ("手机", "手机号", "手机号码", "phone"),
    "trades": ("技能", "特长", "职业", "trades"),
    "community_code": ("社区编码", "社区", "community_code"),
    "party": ("党员", "政治面貌", "party"),
}
TRADE_NAMES = {
    "教师": "teacher",
    "老师": "teacher",
    "医生": "doctor",
    "厨师": "cook",
    "理发师": "barber",
    "电工": "electrician",
    "水电工": "plumber",
    "水管工": "plumber",
    "律师": "lawyer",
    "护士": "nurse",
}
PARTY_NAMES = {
    "在职党员": "in_service",
    "在职": "in_service",
    "离退休党员": "retired",
    "退休党员": "retired",
    "离退休": "retired",
    "入党积极分子": "activist",
    "积极分子": "activist",
}


def read_volunteer_rows(
    data: bytes, known_trades: set[str]
) -> tuple[list[ParsedRow], Problem | None]:
    """Volunteers: name, phone, trades, community code, party membership (optional)."""
    index, body, problem = read_sheet(data, VOLUNTEER_COLUMNS, ("name", "phone", "community_code"))
    if problem is not None:
        return [], problem
    rows = []
    for n, raw in enumerate(body, start=2):
        cell = {f: (raw[i] if i < len(raw) else "").strip() for f, i in index.items()}
        trades = [TRADE_NAMES.get(t, t) for t in _split(cell.get("trades", ""))]
        unknown = [t for t in trades if t not in known_trades]
        if unknown:
            rows.append(
                ParsedRow(n, None, (N_("unknown trade: {trade}"), {"trade": "、".join(unknown)}))
            )
            continue
        party = cell.get("party", "")
        if party and party not in PARTY_NAMES and party not in ("群众", "否", "no"):
            rows.append(
                ParsedRow(n, None, (N_("unknown party membership: {value}"), {"value": party}))
            )
            continue
        rows.append(
            ParsedRow(
                n,
                {
                    "name": cell["name"],
                    "phone": cell["phone"].replace(" ", ""),
                    "trades": trades,
                    "community_code": cell["community_code"],
                    "party": PARTY_NAMES.get(party),
                },
            )
        )
    return rows, None


def _rows(
    body: list[list[str]], index: dict[str, int], known_tags: set[str]
) -> Iterator[ParsedRow]:
    for n, raw in enumerate(body, start=2):
        cell = {f: (raw[i] if i < len(raw) else "") for f, i in index.items()}
        values: dict[str, Any] = {"name": cell["name"], "building_code": cell["building_code"]}
        if cell.get("phone"):
            values["phone"] = cell["phone"].replace(" ", "").replace("-", "")
        if cell.get("unit"):
            values["unit"] = cell["unit"]
        if cell.get("birth_year"):
            try:
                values["birth_year"] = int(float(cell["birth_year"]))
            except ValueError:
                yield ParsedRow(
                    n,
                    None,
                    (N_("birth year is not a year: {value}"), {"value": cell["birth_year"]}),
                )
                continue
        if cell.get("is_minor"):
            values["is_minor"] = cell["is_minor"].lower() in YES
        tags = [TAG_NAMES.get(t, t) for t in _split(cell.get("care_tags", ""))]
        unknown = [t for t in tags if t not in known_tags]
        if unknown:
            yield ParsedRow(n, None, (N_("unknown care tag: {tag}"), {"tag": "、".join(unknown)}))
            continue
        values["care_tags"] = tags
        if cell.get("id_number"):
            number = cell["id_number"].upper()
            if not id_number_ok(number):
                yield ParsedRow(n, None, (N_("ID number is not valid"), {}))
                continue
            values["id_number"] = number
        if cell.get("notify_via"):
            values["notify_via"] = VIA_NAMES.get(cell["notify_via"], cell["notify_via"])
        yield ParsedRow(n, values)


def describe(error: msgspec.ValidationError) -> tuple[str, dict[str, object]]:
    return N_("invalid value: {detail}"), {"detail": str(error)}
