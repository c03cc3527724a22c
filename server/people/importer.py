"""Bulk import of residents and volunteers from the sheet an office already keeps (CSV or XLSX).

Columns are matched by their Chinese or English header; every cell is checked
here (phone and ID-number formats, years and dates, known care tags and
trades, lengths) and each problem names the column as the sheet spells it and
says in plain words what is wrong, in the reader's language. Checks that need
the database (the building exists and lies in the importer's area) are made
by the service. Nothing of a file with a rejected row is written. Re-importing
the same sheet updates residents in place (same name, building and unit).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator, Mapping, Set
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import msgspec

from server.lib.i18n import N_, translate

__all__ = [
    "COLUMNS",
    "VOLUNTEER_COLUMNS",
    "ParsedRow",
    "RowProblem",
    "Sheet",
    "describe",
    "id_number_ok",
    "read_rows",
    "read_sheet",
    "read_volunteer_rows",
    "render",
]

# header (any of these spellings) → field of ResidentCreate (birth_date becomes birth_year)
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "name"),
    "phone": ("手机", "手机号", "手机号码", "电话", "phone"),
    "building_code": ("楼栋编码", "楼栋", "building_code", "building"),
    "unit": ("单元", "单元室", "门牌", "unit"),
    "birth_year": ("出生年份", "birth_year"),
    "birth_date": ("出生日期", "birth_date"),
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
VIA_CODES = {"sms", "push", "both"}
YES = {"是", "yes", "true", "1", "y"}
NO = {"否", "no", "false", "0", "n"}
PHONE = re.compile(r"1[3-9]\d{9}")
ID_SHAPE = re.compile(r"\d{17}[\dX]")
DATE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?")
FIRST_YEAR = 1900
# Longest values the tables take (server.people.models / ResidentCreate).
MAX_NAME, MAX_BUILDING, MAX_UNIT = 50, 40, 40


@dataclass(frozen=True, slots=True)
class RowProblem:
    """What is wrong with one cell (``column`` as the sheet spells it) or a whole row (None)."""

    column: str | None
    message: str
    params: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ParsedRow:
    row: int  # 1-based, the header is row 1
    values: dict[str, Any] | None  # None when the row has problems
    problems: tuple[RowProblem, ...] = ()


@dataclass(frozen=True, slots=True)
class Sheet:
    index: dict[str, int]  # field → column index
    headers: dict[str, str]  # field → the header as the sheet spells it
    body: list[list[str]]


Problem = tuple[str, dict[str, object]]


def render(problem: RowProblem, locale: str) -> str:
    """The problem in plain words, naming its column: “手机”列：手机号码应为 11 位数字，以 1 开头."""
    text = translate(problem.message, locale, **problem.params)
    if problem.column is None:
        return text
    return translate(
        N_("Column “{column}”: {problem}"), locale, column=problem.column, problem=text
    )


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


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():  # Excel keeps 13700000011 as 1.37e10
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    return str(value).strip()


def _table(data: bytes) -> list[list[str]]:
    if data[:2] == b"PK":  # XLSX is a zip
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).active
        if sheet is None:
            return []
        return [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(_decode(data)))]


def _split(value: str) -> list[str]:
    for sep in ("；", ";", "、", "，", ","):
        value = value.replace(sep, "|")
    return [v.strip() for v in value.split("|") if v.strip()]


def _known(names: Mapping[str, str], codes: Set[str]) -> str:
    """The values a column accepts, as a reader would write them (first Chinese name per code)."""
    shown: dict[str, str] = {}
    for name, code in names.items():
        if code in codes:
            shown.setdefault(code, name)
    return "、".join([*shown.values(), *sorted(codes - shown.keys())])


def read_sheet(
    data: bytes, columns: dict[str, tuple[str, ...]], required: tuple[str, ...]
) -> tuple[Sheet, Problem | None]:
    """The columns and body rows of a CSV or XLSX sheet; or a problem with the whole file."""
    empty = Sheet({}, {}, [])
    try:
        table = [r for r in _table(data) if any(r)]
    except Exception:
        return empty, (N_("The file is not a CSV or XLSX sheet"), {})
    if not table:
        return empty, (N_("The file is empty"), {})
    header = [h.strip() for h in table[0]]
    index: dict[str, int] = {}
    headers: dict[str, str] = {}
    for name, spellings in columns.items():
        for i, h in enumerate(header):
            if h.lower() in spellings:
                index[name] = i
                headers[name] = h
    missing = [columns[f][0] for f in required if f not in index]
    if missing:
        return empty, (N_("Missing columns: {columns}"), {"columns": "、".join(missing)})
    return Sheet(index, headers, table[1:]), None


def _text(
    cell: dict[str, str], headers: dict[str, str], name: str, longest: int, *, required: bool
) -> tuple[str, RowProblem | None]:
    value = cell.get(name, "").strip()
    if required and not value:
        return value, RowProblem(headers[name], N_("this column must not be empty"))
    if len(value) > longest:
        return value, RowProblem(
            headers[name], N_("too long: at most {max} characters"), {"max": longest}
        )
    return value, None


def _phone(cell: dict[str, str], headers: dict[str, str]) -> tuple[str, RowProblem | None]:
    value = cell.get("phone", "").replace(" ", "").replace("-", "")
    if value and not PHONE.fullmatch(value):
        return value, RowProblem(
            headers["phone"], N_("a mobile number has 11 digits and starts with 1")
        )
    return value, None


def read_rows(
    data: bytes, known_tags: Set[str], tag_names: Mapping[str, str] = TAG_NAMES
) -> tuple[list[ParsedRow], dict[str, str], Problem | None]:
    """Rows as ResidentCreate-shaped dicts or their problems, and the headers (field → header);
    or a problem with the whole file."""
    sheet, problem = read_sheet(data, COLUMNS, ("name", "building_code"))
    if problem is not None:
        return [], {}, problem
    return list(_rows(sheet, known_tags, tag_names)), sheet.headers, None


def _year(cell: dict[str, str], headers: dict[str, str]) -> tuple[int | None, RowProblem | None]:
    last = datetime.now(UTC).year
    if cell.get("birth_year"):
        raw, column = cell["birth_year"], headers["birth_year"]
        try:
            year = int(float(raw))
        except ValueError:
            return None, RowProblem(
                column,
                N_("“{value}” is not a year; write four digits such as 1950"),
                {"value": raw},
            )
    elif cell.get("birth_date"):
        raw, column = cell["birth_date"], headers["birth_date"]
        match = DATE.fullmatch(raw) or (
            re.fullmatch(r"(\d{4})(\d{2})(\d{2})", raw) if raw.isdigit() else None
        )
        try:
            if match is None:
                raise ValueError(raw)
            year = date(int(match[1]), int(match[2]), int(match[3])).year
        except ValueError:
            return None, RowProblem(
                column, N_("“{value}” is not a date; write it as 1950-03-02"), {"value": raw}
            )
    else:
        return None, None
    if not FIRST_YEAR <= year <= last:
        return None, RowProblem(
            column,
            N_("the year must be between {first} and {last}"),
            {"first": FIRST_YEAR, "last": last},
        )
    return year, None


def _left_to_right(problems: list[RowProblem], sheet: Sheet) -> tuple[RowProblem, ...]:
    """Problems in the order of their columns in the sheet, as a reader goes along the row."""
    position = {sheet.headers[f]: i for f, i in sheet.index.items()}
    return tuple(sorted(problems, key=lambda p: position.get(p.column or "", -1)))


def _collector(problems: list[RowProblem]) -> Callable[[tuple[Any, RowProblem | None]], Any]:
    """A function that keeps the value of a (value, problem) check and notes the problem."""

    def check(result: tuple[Any, RowProblem | None]) -> Any:
        value, problem = result
        if problem is not None:
            problems.append(problem)
        return value

    return check


def _rows(
    sheet: Sheet, known_tags: Set[str], tag_names: Mapping[str, str]
) -> Iterator[ParsedRow]:
    headers = sheet.headers
    for n, raw in enumerate(sheet.body, start=2):
        cell = {f: (raw[i] if i < len(raw) else "") for f, i in sheet.index.items()}
        problems: list[RowProblem] = []

        check = _collector(problems)

        values: dict[str, Any] = {
            "name": check(_text(cell, headers, "name", MAX_NAME, required=True)),
            "building_code": check(
                _text(cell, headers, "building_code", MAX_BUILDING, required=True)
            ),
        }
        if phone := check(_phone(cell, headers)):
            values["phone"] = phone
        if unit := check(_text(cell, headers, "unit", MAX_UNIT, required=False)):
            values["unit"] = unit
        if (year := check(_year(cell, headers))) is not None:
            values["birth_year"] = year
        if minor := cell.get("is_minor", "").strip().lower():
            if minor in YES | NO:
                values["is_minor"] = minor in YES
            else:
                problems.append(
                    RowProblem(
                        headers["is_minor"], N_("write 是 or 否, not “{value}”"), {"value": minor}
                    )
                )
        tags = [tag_names.get(t, t) for t in _split(cell.get("care_tags", ""))]
        for tag in [t for t in tags if t not in known_tags]:
            problems.append(
                RowProblem(
                    headers["care_tags"],
                    N_("unknown care tag “{tag}”; write one of {known}"),
                    {"tag": tag, "known": _known(tag_names, known_tags)},
                )
            )
        values["care_tags"] = list(dict.fromkeys(tags))
        if number := cell.get("id_number", "").replace(" ", "").upper():
            if not ID_SHAPE.fullmatch(number):
                problems.append(
                    RowProblem(
                        headers["id_number"],
                        N_("an ID number has 18 characters: 17 digits, then a digit or X"),
                    )
                )
            elif not id_number_ok(number):
                problems.append(
                    RowProblem(
                        headers["id_number"],
                        N_(
                            "the ID number's check digit does not match; compare it with the ID card"
                        ),
                    )
                )
            values["id_number"] = number
        if via := cell.get("notify_via", "").strip():
            code = VIA_NAMES.get(via, via.lower())
            if code in VIA_CODES:
                values["notify_via"] = code
            else:
                problems.append(
                    RowProblem(
                        headers["notify_via"],
                        N_("“{value}” is not a way to notify; write one of {known}"),
                        {"value": via, "known": _known(VIA_NAMES, VIA_CODES)},
                    )
                )
        yield ParsedRow(n, None if problems else values, _left_to_right(problems, sheet))


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
NOT_PARTY = ("群众", "否", "no", "")


def read_volunteer_rows(
    data: bytes, known_trades: Set[str], trade_names: Mapping[str, str] = TRADE_NAMES
) -> tuple[list[ParsedRow], dict[str, str], Problem | None]:
    """Volunteers: name, phone, trades, community code, party membership (optional)."""
    sheet, problem = read_sheet(data, VOLUNTEER_COLUMNS, ("name", "phone", "community_code"))
    if problem is not None:
        return [], {}, problem
    headers = sheet.headers
    rows = []
    for n, raw in enumerate(sheet.body, start=2):
        cell = {f: (raw[i] if i < len(raw) else "").strip() for f, i in sheet.index.items()}
        problems: list[RowProblem] = []
        name, p = _text(cell, headers, "name", MAX_NAME, required=True)
        problems += [p] if p else []
        phone, p = _phone(cell, headers)
        if not phone:
            p = RowProblem(headers["phone"], N_("this column must not be empty"))
        problems += [p] if p else []
        community, p = _text(cell, headers, "community_code", 32, required=True)
        problems += [p] if p else []
        trades = [trade_names.get(t, t) for t in _split(cell.get("trades", ""))]
        for trade in [t for t in trades if t not in known_trades]:
            problems.append(
                RowProblem(
                    headers["trades"],
                    N_("unknown trade “{trade}”; write one of {known}"),
                    {"trade": trade, "known": _known(trade_names, known_trades)},
                )
            )
        party = cell.get("party", "")
        if party not in PARTY_NAMES and party not in NOT_PARTY:
            problems.append(
                RowProblem(
                    headers["party"],
                    N_("unknown party membership “{value}”; write one of {known}"),
                    {"value": party, "known": "、".join([*PARTY_NAMES, "群众"])},
                )
            )
        values = {
            "name": name,
            "phone": phone,
            "trades": list(dict.fromkeys(trades)),
            "community_code": community,
            "party": PARTY_NAMES.get(party),
        }
        rows.append(ParsedRow(n, None if problems else values, _left_to_right(problems, sheet)))
    return rows, headers, None


def describe(error: msgspec.ValidationError, headers: dict[str, str]) -> RowProblem:
    """A validation error the checks above did not foresee, still naming its column."""
    match = re.search(r"at `\$\.(\w+)", str(error))
    column = headers.get(match[1]) if match else None
    return RowProblem(column, N_("this value is not valid"))
