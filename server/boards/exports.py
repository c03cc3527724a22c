"""Writing a sheet as CSV (UTF-8 with a BOM, so spreadsheet programs read Chinese right)
or XLSX (openpyxl, write-only). Text that a spreadsheet would run as a formula is
prefixed with an apostrophe."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook

__all__ = ["FORMATS", "Sheet", "render"]

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class Sheet:
    title: str
    head: list[str]
    rows: list[list[Any]]


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def render(fmt: str, sheet: Sheet) -> bytes:
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(sheet.head)
        for row in sheet.rows:
            writer.writerow(["" if v is None else _cell(v) for v in row])
        return ("\ufeff" + out.getvalue()).encode("utf-8")
    book = Workbook(write_only=True)
    ws = book.create_sheet(sheet.title[:31])
    ws.append(sheet.head)
    for row in sheet.rows:
        ws.append([_cell(v) for v in row])
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()
