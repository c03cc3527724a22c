"""A deployment's own care tags and trades (LINLI_CARE_TAGS / LINLI_TRADES), through the API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from server.people import vocabulary as words
from server.people.vocabulary import Term, parse_terms
from tests.conftest import DENGYUE_ADMIN, DENGYUE_CLERK, Backend
from tests.integration.test_people import dengyue_buildings, sheet_csv


def test_terms_are_code_and_name_pairs() -> None:
    assert parse_terms(" dementia:失智老人 ，hearing:听障", "LINLI_CARE_TAGS") == (
        Term("dementia", "失智老人"),
        Term("hearing", "听障"),
    )
    assert parse_terms("", "LINLI_TRADES") == ()
    for bad in ("dementia", "Dementia:失智", "x:失智", "dementia:", "a b:失智", "d1:" + "长" * 21):
        with pytest.raises(ValueError, match="code:name"):
            parse_terms(bad, "LINLI_CARE_TAGS")


def test_a_deployment_may_name_a_default_and_add_its_own() -> None:
    try:
        words.configure((Term("dementia", "失智老人"), Term("veteran", "退役军人")), ())
        v = words.vocabulary()
        assert [t.code for t in v.care_tags][-1] == "dementia"
        assert Term("veteran", "退役军人") in v.care_tags  # same place, now with a name
        assert v.tag_names["失智老人"] == "dementia" and v.tag_names["独居老人"] == "elderly_alone"
    finally:
        words.configure((), ())


@pytest.fixture
def city_terms() -> Iterator[None]:
    words.configure((Term("dementia", "失智老人"),), (Term("tailor", "裁缝"),))
    yield
    words.configure((), ())


async def test_own_terms_are_listed_accepted_and_imported_by_name(
    client, tokens, backend: Backend, city_terms: None
) -> None:
    clerk = await tokens.get(client, DENGYUE_CLERK)
    listed = (await client.get("/api/v1/people/vocabulary", headers=clerk)).json()
    assert {"code": "dementia", "label": "失智老人"} in listed["care_tags"]
    assert {"code": "elderly_alone", "label": None} in listed["care_tags"]
    assert {"code": "tailor", "label": "裁缝"} in listed["trades"]
    assert (await client.get("/api/v1/people/vocabulary")).status_code == 401

    codes = await dengyue_buildings(backend)
    r = await client.post(
        "/api/v1/residents",
        headers=clerk,
        json={"name": "钱爷爷", "building_code": codes[0], "care_tags": ["dementia"]},
    )
    assert r.status_code == 201, r.text
    assert r.json()["care_tags"] == ["dementia"]

    sheet = sheet_csv([["孙奶奶", "13700000091", codes[1], "2单元201", "1938", "失智老人", "", ""]])
    r = await client.post(
        "/api/v1/residents/import", content=sheet, headers={**clerk, "Content-Type": "text/csv"}
    )
    assert r.status_code == 200, r.text
    found = (await client.get("/api/v1/residents", params={"q": "孙奶奶"}, headers=clerk)).json()[
        "items"
    ]
    assert found and found[0]["care_tags"] == ["dementia"]

    admin = await tokens.get(client, DENGYUE_ADMIN)
    volunteers = (await client.get("/api/v1/volunteers", headers=admin)).json()
    r = await client.put(
        f"/api/v1/volunteers/{volunteers[0]['user_id']}/profile",
        json={"trades": ["tailor"], "availability": []},
        headers=admin,
    )
    assert r.status_code == 200, r.text


async def test_unknown_terms_are_refused_in_words(client, tokens, backend: Backend) -> None:
    codes = await dengyue_buildings(backend)
    r = await client.post(
        "/api/v1/residents",
        headers=await tokens.get(client, DENGYUE_CLERK),
        json={"name": "周奶奶", "building_code": codes[0], "care_tags": ["dementia"]},
    )
    assert r.status_code == 400 and "dementia" in r.json()["detail"]
