"""The extra fields of a service item: what intake must fill in, checked with reasons."""

from __future__ import annotations

from typing import Any

import pytest

from server.cases.catalogue import check_field_values
from server.cases.demo_catalogue import ITEMS
from server.lib.errors import BadRequest
from server.lib.i18n import translate

FIELDS: list[dict[str, Any]] = [
    *next(i[8] for i in ITEMS if i[0] == "neighbour"),
    {
        "key": "since",
        "kind": "date",
        "label": {"zh_Hans": "开始时间", "en": "Since when"},
        "required": False,
        "choices": [],
    },
    {
        "key": "note",
        "kind": "text",
        "label": {"zh_Hans": "说明", "en": "Note"},
        "required": False,
        "choices": [],
    },
]


def reason(values: dict[str, Any], locale: str = "en") -> str:
    with pytest.raises(BadRequest) as caught:
        check_field_values(FIELDS, values, locale)
    return translate(caught.value.message, locale, **caught.value.params)


def test_good_values_are_kept_and_empty_ones_dropped() -> None:
    got = check_field_values(
        FIELDS, {"parties": 2, "about": "noise", "since": "2026-11-30", "note": " 楼上 "}, "en"
    )
    assert got == {"parties": 2, "about": "noise", "since": "2026-11-30", "note": "楼上"}
    assert check_field_values(FIELDS, {"about": "parking", "note": ""}, "en") == {
        "about": "parking"
    }


def test_bad_values_are_refused_with_the_field_named() -> None:
    assert reason({}) == "Fill in About"
    assert reason({}, "zh_Hans") == "请填写纠纷类型"
    assert reason({"about": "cats"}) == "About must be one of the choices offered"
    assert reason({"about": "noise", "parties": "two"}) == "Households involved must be a number"
    assert reason({"about": "noise", "parties": True}) == "Households involved must be a number"
    assert reason({"about": "noise", "since": "30/11/2026"}) == (
        "Since when must be a date (YYYY-MM-DD)"
    )
    assert reason({"about": "noise", "note": "x" * 501}) == (
        "Note must be text of at most 500 characters"
    )
    assert reason({"about": "noise", "colour": "red"}) == "This service item has no field colour"
