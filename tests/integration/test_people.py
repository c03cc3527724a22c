"""Residents (sensitive fields, audited reveals, CSV/XLSX import), volunteers, service groups, hours."""

from __future__ import annotations

import io

from openpyxl import Workbook
from sqlalchemy import func, select

from server.grids.models import Building, Grid
from server.people.importer import id_number_ok
from server.people.models import Resident
from tests.conftest import (
    DENGYUE_ADMIN,
    DENGYUE_CLERK,
    DENGYUE_GRID_WORKER,
    DENGYUE_RESIDENT,
    DENGYUE_VOLUNTEER,
    YULAN_ADMIN,
    YULAN_RESIDENT,
    Backend,
)

VALID_ID = "11010519491231002X"  # the classic GB 11643 example


async def dengyue_buildings(backend: Backend) -> list[str]:
    async with backend.sessionmaker()() as session:
        return list(
            (
                await session.scalars(
                    select(Building.code)
                    .join(Grid, Grid.id == Building.grid_id)
                    .where(Grid.name.startswith("登月社区"))
                    .order_by(Building.code)
                    .limit(3)
                )
            ).all()
        )


def test_id_number_check_digit() -> None:
    assert id_number_ok(VALID_ID)
    assert not id_number_ok("110105194912310021")
    assert not id_number_ok("11010519491231002")


async def test_register_a_resident_with_sealed_id_and_audited_reveals(
    client, tokens, backend: Backend
) -> None:
    [code, *_] = await dengyue_buildings(backend)
    clerk = await tokens.get(client, DENGYUE_CLERK)
    r = await client.post(
        "/api/v1/residents",
        headers=clerk,
        json={
            "name": "李奶奶",
            "phone": "13711112222",
            "building_code": code,
            "unit": "4单元402",
            "birth_year": 1941,
            "care_tags": ["elderly_alone", "serious_illness"],
            "id_number": VALID_ID,
            "notify_via": "sms",
        },
    )
    assert r.status_code == 201, r.text
    view = r.json()
    assert view["phone_masked"] == "137****2222" and view["has_id_number"] is True
    assert VALID_ID not in r.text
    async with backend.sessionmaker()() as session:
        sealed = await session.scalar(
            select(Resident.id_number_sealed).where(Resident.id == view["id"])
        )
    assert sealed and VALID_ID.encode() not in sealed  # encrypted at rest
    reveal = await client.post(f"/api/v1/residents/{view['id']}/reveal/id_number", headers=clerk)
    assert reveal.status_code == 200 and reveal.json()["value"] == VALID_ID
    audit = await client.get(
        "/api/v1/audit",
        params={"action": "resident.unmask_id_number"},
        headers=await tokens.get(client, DENGYUE_ADMIN),
    )
    assert [e["object_id"] for e in audit.json()][:1] == [str(view["id"])]
    # Other communities see nothing of her.
    other = await tokens.get(client, YULAN_ADMIN)
    assert (await client.get(f"/api/v1/residents/{view['id']}", headers=other)).status_code == 404
    assert (
        await client.post(f"/api/v1/residents/{view['id']}/reveal/phone", headers=other)
    ).status_code == 404
    listed = await client.get(
        "/api/v1/residents", params={"care_tag": "serious_illness"}, headers=clerk
    )
    assert "李奶奶" in [p["name"] for p in listed.json()["items"]]
    assert all("*" in (p["phone_masked"] or "*") for p in listed.json()["items"])
    assert "李奶奶" not in str((await client.get("/api/v1/residents", headers=other)).json())
    bad = await client.post(
        "/api/v1/residents",
        headers=clerk,
        json={"name": "x", "building_code": code, "care_tags": ["vip"]},
    )
    assert bad.status_code == 400 and "vip" in bad.json()["detail"]
    assert (
        await client.get("/api/v1/residents", headers=await tokens.get(client, DENGYUE_VOLUNTEER))
    ).status_code == 403


def sheet_csv(rows: list[list[str]], encoding: str = "utf-8-sig") -> bytes:
    lines = [
        ",".join(r)
        for r in [
            ["姓名", "手机", "楼栋编码", "单元", "出生年份", "关爱标签", "身份证号", "通知方式"],
            *rows,
        ]
    ]
    return "\r\n".join(lines).encode(encoding)


async def count_residents(backend: Backend) -> int:
    async with backend.sessionmaker()() as session:
        return int(await session.scalar(select(func.count()).select_from(Resident)))


async def test_import_is_all_or_nothing_with_reasons_per_row(
    client, tokens, backend: Backend
) -> None:
    codes = await dengyue_buildings(backend)
    clerk = await tokens.get(client, DENGYUE_CLERK)
    before = await count_residents(backend)
    bad = sheet_csv(
        [
            ["张三", "13700000011", codes[0], "1单元101", "1950", "独居老人", "", "短信"],
            ["李四", "1370000", codes[1], "1单元102", "", "", "", ""],  # bad phone
            ["王五", "", "410902999999999B001", "1单元103", "", "", "", ""],  # unknown building
            ["赵六", "", codes[2], "", "", "火星人", "", ""],  # unknown tag
            ["钱七", "", codes[2], "", "", "", "110105194912310021", ""],  # bad ID check digit
        ]
    )
    r = await client.post(
        "/api/v1/residents/import", content=bad, headers={**clerk, "Content-Type": "text/csv"}
    )
    assert r.status_code == 422, r.text
    report = r.json()
    assert report["ok"] is False and [x["row"] for x in report["rejected"]] == [3, 4, 5, 6]
    reasons = [x["reason"] for x in report["rejected"]]
    assert reasons == [
        "“手机”列：手机号码应为 11 位数字，以 1 开头",
        "“楼栋编码”列：没有编码为 410902999999999B001 的楼栋",
        "“关爱标签”列：没有“火星人”这个关爱标签，可以填：独居老人、残疾、低保、留守儿童、"
        "重病、空巢老人、退役军人",
        "“身份证号”列：身份证号校验位不对，请对照身份证核对",
    ]
    assert [x["column"] for x in report["rejected"]] == ["手机", "楼栋编码", "关爱标签", "身份证号"]
    assert await count_residents(backend) == before  # nothing half-applied

    good = sheet_csv(
        [
            [
                "张三",
                "13700000011",
                codes[0],
                "1单元101",
                "1950",
                "独居老人；低保",
                VALID_ID,
                "短信",
            ],
            ["李四", "13700000012", codes[1], "1单元102", "", "", "", "都要"],
        ],
        encoding="gb18030",
    )  # Excel on Chinese Windows saves CSV as GBK
    r = await client.post(
        "/api/v1/residents/import", content=good, headers={**clerk, "Content-Type": "text/csv"}
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"ok": True, "rows": 2, "created": 2, "updated": 0, "rejected": []}
    again = await client.post(
        "/api/v1/residents/import", content=good, headers={**clerk, "Content-Type": "text/csv"}
    )
    assert again.json()["created"] == 0 and again.json()["updated"] == 2
    assert await count_residents(backend) == before + 2

    # The same from an XLSX workbook, as offices keep them.
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["姓名", "手机号", "楼栋编码", "单元", "关爱标签"])
    ws.append(["孙八", "13700000013", codes[2], "2单元201", "残疾"])
    buf = io.BytesIO()
    wb.save(buf)
    r = await client.post(
        "/api/v1/residents/import",
        content=buf.getvalue(),
        headers={
            **clerk,
            "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        },
    )
    assert r.status_code == 200 and r.json()["created"] == 1, r.text
    # Buildings outside the importer's area are refused.
    yulan = await client.post(
        "/api/v1/residents/import",
        content=good,
        headers={**await tokens.get(client, YULAN_ADMIN), "Content-Type": "text/csv"},
    )
    assert yulan.status_code == 422
    garbage = await client.post(
        "/api/v1/residents/import",
        content=b"\x00\x01\x02",
        headers={**clerk, "Content-Type": "text/csv"},
    )
    assert garbage.status_code == 422


async def test_volunteers_trades_party_membership_and_service_groups(
    client, tokens, backend: Backend
) -> None:
    admin = await tokens.get(client, DENGYUE_ADMIN)
    volunteers = (await client.get("/api/v1/volunteers", headers=admin)).json()
    zhao = next(v for v in volunteers if v["name"] == "赵丽")
    assert zhao["trades"] == ["barber"] and zhao["phone_masked"].count("*") == 4
    r = await client.put(
        f"/api/v1/volunteers/{zhao['user_id']}/profile",
        headers=admin,
        json={
            "trades": ["barber", "cook"],
            "availability": [{"weekday": 5, "start": "09:00", "end": "11:30"}],
        },
    )
    assert r.status_code == 200 and r.json()["trades"] == ["barber", "cook"]
    barbers = (
        await client.get("/api/v1/volunteers", params={"trade": "cook"}, headers=admin)
    ).json()
    assert [v["name"] for v in barbers] == ["赵丽"]
    assert (
        await client.put(
            f"/api/v1/volunteers/{zhao['user_id']}/profile",
            headers=admin,
            json={"trades": ["astronaut"]},
        )
    ).status_code == 400
    # A volunteer sees and keeps their own profile; a resident has none.
    own = await tokens.get(client, DENGYUE_VOLUNTEER)
    mine = (await client.get("/api/v1/me/volunteer-profile", headers=own)).json()
    assert mine["user_id"] == zhao["user_id"] and mine["trades"] == ["barber", "cook"]
    r = await client.put(
        f"/api/v1/volunteers/{zhao['user_id']}/profile",
        headers=own,
        json={
            "trades": ["barber", "cook"],
            "availability": [{"weekday": 6, "start": "18:30", "end": "20:30"}],
        },
    )
    assert r.status_code == 200 and r.json()["availability"][0]["weekday"] == 6
    nobody = await client.get(
        "/api/v1/me/volunteer-profile", headers=await tokens.get(client, DENGYUE_RESIDENT)
    )
    assert nobody.status_code == 404 and "志愿者" in nobody.json()["detail"]
    backwards = await client.put(
        f"/api/v1/volunteers/{zhao['user_id']}/profile",
        headers=admin,
        json={
            "trades": ["barber"],
            "availability": [{"weekday": 2, "start": "20:30", "end": "18:30"}],
        },
    )
    assert backwards.status_code == 400 and "结束要晚于开始" in backwards.json()["detail"]
    yulan = (
        await client.get("/api/v1/volunteers", headers=await tokens.get(client, YULAN_ADMIN))
    ).json()
    assert [v["name"] for v in yulan] == ["郭玉梅"]  # her own community's, none of 登月's
    # Party members report to their residential community.
    r = await client.put(
        f"/api/v1/volunteers/{zhao['user_id']}/party-member",
        headers=admin,
        json={"kind": "retired", "reported_community_code": "410902001001"},
    )
    assert r.status_code == 200 and r.json()["party_member"] == "retired"
    groups = (await client.get("/api/v1/service-groups", headers=admin)).json()
    assert len(groups) == 10 and all(g["name"].endswith("为民服务组") for g in groups)
    assert groups[0]["leader"] == "刘芳" and "赵丽" in groups[0]["members"]
    party = next(v for v in volunteers if v["name"] == "郑建军")
    r = await client.post(
        f"/api/v1/service-groups/{groups[1]['id']}/members",
        headers=admin,
        json={"user_id": party["user_id"], "trade": "electrician"},
    )
    assert r.status_code == 200 and "郑建军" in r.json()["members"]
    worker = await tokens.get(client, DENGYUE_GRID_WORKER)
    assert len((await client.get("/api/v1/service-groups", headers=worker)).json()) == 1
    hours = await client.get("/api/v1/communities/410902001001/hours", headers=admin)
    assert hours.status_code == 200 and all(p["name"].endswith("*") for p in hours.json()["people"])
    assert (
        await client.get(
            "/api/v1/communities/410902001001/hours", headers=await tokens.get(client, YULAN_ADMIN)
        )
    ).status_code == 404


async def test_volunteer_organisations(client, tokens) -> None:
    admin = await tokens.get(client, DENGYUE_ADMIN)
    volunteers = (await client.get("/api/v1/volunteers", headers=admin)).json()
    zheng = next(v for v in volunteers if v["name"] == "郑建军")
    r = await client.post(
        "/api/v1/volunteer-orgs",
        headers=admin,
        json={
            "name": "登月社区党员志愿服务队",
            "community_code": "410902001001",
            "leader_user_id": zheng["user_id"],
        },
    )
    assert r.status_code == 201, r.text
    org = r.json()
    assert org["leader"] == "郑建军" and org["members"] == ["郑建军"]
    zhao = next(v for v in volunteers if v["name"] == "赵丽")
    r = await client.post(
        f"/api/v1/volunteer-orgs/{org['id']}/members",
        headers=admin,
        json={"user_id": zhao["user_id"]},
    )
    assert sorted(r.json()["members"]) == sorted(["郑建军", "赵丽"])
    other = await tokens.get(client, YULAN_ADMIN)
    assert (
        await client.post(
            "/api/v1/volunteer-orgs",
            headers=other,
            json={"name": "越权的队伍", "community_code": "410902001001"},
        )
    ).status_code == 404
    assert org["id"] not in [
        o["id"] for o in (await client.get("/api/v1/volunteer-orgs", headers=other)).json()
    ]
    assert (
        await client.post(
            f"/api/v1/volunteer-orgs/{org['id']}/members",
            headers=other,
            json={"user_id": zhao["user_id"]},
        )
    ).status_code == 404


async def test_volunteers_import_then_a_temporary_password_to_log_in(
    client, tokens, backend: Backend
) -> None:
    clerk = await tokens.get(client, DENGYUE_CLERK)
    header = "姓名,手机,技能,社区编码,党员"
    bad = "\r\n".join(
        [
            header,
            "周师傅,13600001111,理发师;厨师,410902001001,在职党员",
            "吴老师,136000,教师,410902001001,",
            "郑医生,13600001113,宇航员,410902001001,",
            "王师傅,13600001114,电工,410902002001,",
        ]
    ).encode("utf-8-sig")
    r = await client.post(
        "/api/v1/volunteers/import", content=bad, headers={**clerk, "Content-Type": "text/csv"}
    )
    assert r.status_code == 422, r.text
    assert [x["row"] for x in r.json()["rejected"]] == [
        3,
        4,
        5,
    ]  # bad phone, unknown trade, not my community
    good = "\r\n".join(
        [
            header,
            "周师傅,13600001111,理发师;厨师,410902001001,在职党员",
            f"赵丽,{DENGYUE_VOLUNTEER},理发师,410902001001,",
        ]
    ).encode("utf-8-sig")
    r = await client.post(
        "/api/v1/volunteers/import", content=good, headers={**clerk, "Content-Type": "text/csv"}
    )
    assert r.status_code == 200 and r.json()["created"] == 1 and r.json()["updated"] == 1, r.text
    volunteers = (await client.get("/api/v1/volunteers", headers=clerk)).json()
    zhou = next(v for v in volunteers if v["name"] == "周师傅")
    assert zhou["trades"] == ["barber", "cook"] and zhou["party_member"] == "in_service"
    # He cannot log in until staff hand him a one-time password.
    temp = await client.post(f"/api/v1/users/{zhou['user_id']}/temporary-password", headers=clerk)
    assert temp.status_code == 200, temp.text
    login = await client.post(
        "/api/v1/auth/login", json={"phone": "13600001111", "password": temp.json()["password"]}
    )
    assert login.status_code == 200 and login.json()["user"]["roles"][0]["role"] == "volunteer"
    other = await tokens.get(client, YULAN_ADMIN)
    assert (
        await client.post(f"/api/v1/users/{zhou['user_id']}/temporary-password", headers=other)
    ).status_code == 404
    audit = await client.get(
        "/api/v1/audit",
        params={"action": "user.temporary_password"},
        headers=await tokens.get(client, DENGYUE_ADMIN),
    )
    assert str(zhou["user_id"]) in [e["object_id"] for e in audit.json()]


async def import_as(client, headers: dict[str, str], kind: str, body: bytes, locale: str) -> dict:
    """Import as the caller with their language set to ``locale`` (restored afterwards)."""
    assert (await client.patch("/api/v1/me", headers=headers, json={"locale": locale})).is_success
    try:
        r = await client.post(
            f"/api/v1/{kind}/import", content=body, headers={**headers, "Content-Type": "text/csv"}
        )
    finally:
        await client.patch("/api/v1/me", headers=headers, json={"locale": "zh_Hans"})
    assert r.status_code == 422, r.text
    return r.json()


async def test_rejected_rows_say_which_column_and_what_is_wrong_in_plain_words(
    client, tokens, backend: Backend
) -> None:
    [code, *_] = await dengyue_buildings(backend)
    clerk = await tokens.get(client, DENGYUE_CLERK)
    before = await count_residents(backend)
    header = "姓名,手机号码,楼栋编码,单元,出生年份,出生日期,关爱标签,身份证号,通知方式,未成年"
    rows = [
        f"周一,1380000,{code},,,,,,,",  # 2: phone too short
        f"周二,,{code},,,,,1101051949,,",  # 3: ID number the wrong shape
        f"周三,,{code},,,,,110105194912310021,,",  # 4: ID check digit
        f"周四,,{code},,一九五零,,,,,",  # 5: not a year
        f"周五,,{code},,,1950-13-45,,,,",  # 6: not a date
        f"周六,,{code},,1850,,,,,",  # 7: year out of range
        f"周日,,{code},,,,火星人,,,",  # 8: unknown care tag
        "周八,,410902999999999B001,,,,,,,",  # 9: unknown building
        f"{'长' * 51},,{code},{'单' * 41},,,,,,",  # 10: name and unit too long
        f",,{code},,,,,,,",  # 11: empty name
        f"周十,,{code},,,,,,飞鸽,不知道",  # 12: notify and minor not understood
        f"周十一,13700000021,{code},1单元101,,1950/3/2,独居老人,{VALID_ID},短信,否",  # fine
    ]
    body = "\r\n".join([header, *rows]).encode("utf-8-sig")

    zh = await import_as(client, clerk, "residents", body, "zh_Hans")
    assert zh["ok"] is False and zh["rows"] == 12 and zh["created"] == 0
    by_row: dict[int, list[str]] = {}
    for x in zh["rejected"]:
        by_row.setdefault(x["row"], []).append(x["reason"])
    assert by_row == {
        2: ["“手机号码”列：手机号码应为 11 位数字，以 1 开头"],
        3: ["“身份证号”列：身份证号应为 18 位：17 位数字，最后一位是数字或 X"],
        4: ["“身份证号”列：身份证号校验位不对，请对照身份证核对"],
        5: ["“出生年份”列：“一九五零”不是年份，请写四位数字，例如 1950"],
        6: ["“出生日期”列：“1950-13-45”不是日期，请写成 1950-03-02 这样"],
        7: [by_row[7][0]],
        8: [by_row[8][0]],
        9: ["“楼栋编码”列：没有编码为 410902999999999B001 的楼栋"],
        10: ["“姓名”列：太长了，最多 50 个字", "“单元”列：太长了，最多 40 个字"],
        11: ["“姓名”列：不能为空"],
        12: [
            "“通知方式”列：“飞鸽”不是通知方式，可以填：短信、推送、都要",
            "“未成年”列：请填“是”或“否”，不能填“不知道”",
        ],
    }
    assert by_row[7][0].startswith("“出生年份”列：年份应在 1900 到 20")
    assert by_row[8][0].startswith("“关爱标签”列：没有“火星人”这个关爱标签，可以填：独居老人、")
    assert "1101051949" not in str(zh) and "1380000" not in str(zh)  # no personal data echoed
    assert "Expected" not in str(zh) and "regex" not in str(zh)  # never the validator's raw text

    en = await import_as(client, clerk, "residents", body, "en")
    reasons = {x["row"]: x["reason"] for x in en["rejected"]}
    assert reasons[2] == "Column “手机号码”: a mobile number has 11 digits and starts with 1"
    assert reasons[3] == (
        "Column “身份证号”: an ID number has 18 characters: 17 digits, then a digit or X"
    )
    assert reasons[4] == (
        "Column “身份证号”: the ID number's check digit does not match; compare it with the ID card"
    )
    assert (
        reasons[5] == "Column “出生年份”: “一九五零” is not a year; write four digits such as 1950"
    )
    assert reasons[6] == "Column “出生日期”: “1950-13-45” is not a date; write it as 1950-03-02"
    assert reasons[7].startswith("Column “出生年份”: the year must be between 1900 and 20")
    assert reasons[8].startswith(
        "Column “关爱标签”: unknown care tag “火星人”; write one of 独居老人"
    )
    assert reasons[9] == "Column “楼栋编码”: No building has code 410902999999999B001"
    assert reasons[11] == "Column “姓名”: this column must not be empty"

    # A required column missing altogether: the whole file is refused, at the header row.
    no_building = "姓名,手机\r\n周一,13700000022\r\n".encode()
    for locale, words in (("zh_Hans", "缺少列：楼栋编码"), ("en", "Missing columns: 楼栋编码")):
        report = await import_as(client, clerk, "residents", no_building, locale)
        assert report["rejected"] == [{"row": 1, "reason": words, "column": None}]
    assert await count_residents(backend) == before

    # Volunteers: the same plain words, and a phone given twice in one sheet.
    volunteers = "\r\n".join(
        [
            "姓名,手机,技能,社区编码,党员",
            "周师傅,1360000,理发师,410902001001,",
            "吴师傅,13600002222,宇航员,410902001001,",
            "郑师傅,13600002223,电工,410902001001,团员",
            "王师傅,13600002224,电工,410902001001,",
            "王师傅,13600002224,电工,410902001001,",
            "钱师傅,13600002225,电工,410902999001,",
        ]
    ).encode("utf-8-sig")
    report = await import_as(client, clerk, "volunteers", volunteers, "zh_Hans")
    assert [(x["row"], x["reason"]) for x in report["rejected"]] == [
        (2, "“手机”列：手机号码应为 11 位数字，以 1 开头"),
        (
            3,
            "“技能”列：没有“宇航员”这项技能，可以填：教师、医生、厨师、理发师、电工、水电工、律师、护士",
        ),
        (
            4,
            "“党员”列：“团员”不是可识别的政治面貌，可以填：在职党员、在职、离退休党员、退休党员、"
            "离退休、入党积极分子、积极分子、群众",
        ),
        (6, "“手机”列：与第 5 行的手机号码重复"),
        (7, "“社区编码”列：没有编码为 410902999001 的社区"),
    ]
    report = await import_as(client, clerk, "volunteers", volunteers, "en")
    assert report["rejected"][0]["reason"] == (
        "Column “手机”: a mobile number has 11 digits and starts with 1"
    )
    assert report["rejected"][3]["reason"] == (
        "Column “手机”: the same phone number is already on row 5"
    )


async def audit_actions(client, tokens, action: str) -> list[dict]:
    r = await client.get(
        "/api/v1/audit", params={"action": action}, headers=await tokens.get(client, DENGYUE_ADMIN)
    )
    assert r.status_code == 200, r.text
    return r.json()


async def test_service_group_members_can_be_removed_within_scope_and_audited(
    client, tokens
) -> None:
    admin = await tokens.get(client, DENGYUE_ADMIN)
    group = (await client.get("/api/v1/service-groups", headers=admin)).json()[0]
    zhao = next(p for p in group["people"] if p["name"] == "赵丽")
    assert zhao["trade"] == "barber" and "*" in zhao["phone_masked"]
    path = f"/api/v1/service-groups/{group['id']}/members/{zhao['user_id']}"

    # Other scopes and non-staff: the group does not exist for them.
    for outsider in (YULAN_ADMIN, DENGYUE_VOLUNTEER):
        r = await client.delete(path, headers=await tokens.get(client, outsider))
        assert r.status_code == 404, r.text

    r = await client.delete(path, headers=admin)
    assert r.status_code == 200, r.text
    assert "赵丽" not in r.json()["members"]
    assert zhao["user_id"] not in [p["user_id"] for p in r.json()["people"]]
    entries = await audit_actions(client, tokens, "service_group.remove_member")
    assert entries[0]["object_id"] == str(group["id"])
    again = await client.delete(path, headers=admin)
    assert again.status_code == 404 and again.json()["detail"] == "此人不是成员"

    # Put her back (other tests count on the demo group), which is audited too.
    r = await client.post(
        f"/api/v1/service-groups/{group['id']}/members",
        headers=admin,
        json={"user_id": zhao["user_id"], "trade": "barber"},
    )
    assert r.status_code == 200 and "赵丽" in r.json()["members"]
    assert (await audit_actions(client, tokens, "service_group.add_member"))[0]["object_id"] == str(
        group["id"]
    )
    # Members are volunteers of the community: someone of another community cannot be added,
    # and the answer does not tell their name.
    yulan_resident = (
        await client.get("/api/v1/me", headers=await tokens.get(client, YULAN_RESIDENT))
    ).json()
    r = await client.post(
        f"/api/v1/service-groups/{group['id']}/members",
        headers=admin,
        json={"user_id": yulan_resident["id"]},
    )
    assert r.status_code == 404 and yulan_resident["name"] not in r.text


async def test_finding_a_resident_by_name_phone_end_or_building_with_total_and_pages(
    client, tokens, backend: Backend
) -> None:
    clerk = await tokens.get(client, DENGYUE_CLERK)

    async def find(headers: dict[str, str] = clerk, **params: object) -> dict:
        r = await client.get("/api/v1/residents", params=params, headers=headers)
        assert r.status_code == 200, r.text
        return r.json()

    everyone = await find(limit=200)
    assert everyone["total"] == len(everyone["items"]) >= 3
    sun = await find(q="孙桂")
    assert [r["name"] for r in sun["items"]] == ["孙桂兰"] and sun["total"] == 1
    assert sun["items"][0]["phone_masked"] == "138****0007"  # still masked in a list
    assert "13800000007" not in str(sun)
    assert [r["name"] for r in (await find(q="0007"))["items"]] == ["孙桂兰"]  # phone's last four
    assert [r["name"] for r in (await find(q="13800000007"))["items"]] == ["孙桂兰"]
    building = sun["items"][0]["building_code"]
    in_building = await find(building=building)
    assert "孙桂兰" in [r["name"] for r in in_building["items"]]
    assert all(r["building_code"] == building for r in in_building["items"])
    by_prefix = await find(q=building.lower())
    assert {r["building_code"] for r in by_prefix["items"]} == {building}
    # Care tags are filtered by the database, so the total is right.
    alone = await find(care_tag="elderly_alone", limit=1)
    assert alone["total"] >= 2 and len(alone["items"]) == 1
    assert all(
        "elderly_alone" in r["care_tags"] for r in (await find(care_tag="elderly_alone"))["items"]
    )
    # Pages: one at a time, in a stable order, adding up to the total.
    seen = []
    for offset in range(everyone["total"]):
        page = await find(limit=1, offset=offset)
        assert page["total"] == everyone["total"] and page["offset"] == offset
        seen += [r["id"] for r in page["items"]]
    assert seen == [r["id"] for r in everyone["items"]]
    # LIKE wildcards are taken literally; other communities find nothing of hers.
    assert (await find(q="%"))["total"] == 0 and (await find(q="_"))["total"] == 0
    yulan = await find(headers=await tokens.get(client, YULAN_ADMIN), q="孙桂")
    assert yulan == {"total": 0, "items": [], "limit": 50, "offset": 0}


async def test_a_resident_without_an_account_gets_one_with_a_one_time_password(
    client, tokens, backend: Backend
) -> None:
    [code, *_] = await dengyue_buildings(backend)
    clerk = await tokens.get(client, DENGYUE_CLERK)
    phone = "13755550001"
    r = await client.post(
        "/api/v1/residents",
        headers=clerk,
        json={"name": "何奶奶", "phone": phone, "building_code": code, "locale": "zh_Hant"},
    )
    assert r.status_code == 201 and r.json()["has_account"] is False
    resident = r.json()["id"]
    path = f"/api/v1/residents/{resident}/temporary-password"

    # Other communities and non-staff cannot.
    assert (
        await client.post(path, headers=await tokens.get(client, YULAN_ADMIN))
    ).status_code == 404
    volunteer = await tokens.get(client, DENGYUE_VOLUNTEER)
    assert (await client.post(path, headers=volunteer)).status_code == 403

    first = await client.post(path, headers=clerk)
    assert first.status_code == 200, first.text
    answer = first.json()
    assert answer["account_created"] is True and answer["phone_masked"] == "137****0001"
    assert phone not in first.text
    login = await client.post(
        "/api/v1/auth/login", json={"phone": phone, "password": answer["password"]}
    )
    assert login.status_code == 200, login.text
    user = login.json()["user"]
    assert [r["role"] for r in user["roles"]] == ["resident"] and user["locale"] == "zh_Hant"
    me = await client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {login.json()['access_token']}"}
    )
    assert me.json()["community_code"] == "410902001001"  # bound to her record and building
    view = (await client.get(f"/api/v1/residents/{resident}", headers=clerk)).json()
    assert view["has_account"] is True

    # Asked again (she forgot it): the same account, a new password; the old one stops working.
    again = (await client.post(path, headers=clerk)).json()
    assert again["account_created"] is False and again["user_id"] == answer["user_id"]
    assert (
        await client.post(
            "/api/v1/auth/login", json={"phone": phone, "password": answer["password"]}
        )
    ).status_code == 401
    assert (
        await client.post(
            "/api/v1/auth/login", json={"phone": phone, "password": again["password"]}
        )
    ).status_code == 200

    for action in ("resident.account_create", "user.create", "user.temporary_password"):
        entries = await audit_actions(client, tokens, action)
        wanted = str(resident) if action.startswith("resident") else str(answer["user_id"])
        assert wanted in [e["object_id"] for e in entries], action
        assert phone not in str(entries) and answer["password"] not in str(entries)

    # No phone: nothing to log in with. A phone someone already uses: refused, not merged.
    for body, status, words in (
        ({"name": "无手机", "building_code": code}, 400, "手机号码"),
        (
            {"name": "撞号", "building_code": code, "phone": DENGYUE_VOLUNTEER},
            409,
            "该手机号已注册",
        ),
    ):
        other = (await client.post("/api/v1/residents", headers=clerk, json=body)).json()
        r = await client.post(f"/api/v1/residents/{other['id']}/temporary-password", headers=clerk)
        assert r.status_code == status and words in r.json()["detail"], r.text


async def test_party_members_of_my_communities_registered_and_listed(client, tokens) -> None:
    admin = await tokens.get(client, DENGYUE_ADMIN)
    members = (await client.get("/api/v1/party-members", headers=admin)).json()
    zheng = next(m for m in members if m["name"] == "郑建军")
    assert zheng["kind"] == "in_service" and "*" in zheng["phone_masked"]
    volunteers = (await client.get("/api/v1/volunteers", headers=admin)).json()
    zhao = next(v for v in volunteers if v["name"] == "赵丽")

    r = await client.put(
        f"/api/v1/volunteers/{zhao['user_id']}/party-member",
        headers=admin,
        json={"kind": "activist", "reported_community_code": "410902001001"},
    )
    assert r.status_code == 200 and r.json()["party_member"] == "activist", r.text
    activists = (
        await client.get("/api/v1/party-members", params={"kind": "activist"}, headers=admin)
    ).json()
    mine = next(m for m in activists if m["name"] == "赵丽")
    assert mine["reported_community_code"] == "410902001001" and mine["reported_community"]
    assert mine["party_org"] == "登月社区党支部" and mine["reported_at"]
    assert "郑建军" not in [m["name"] for m in activists]
    assert (await audit_actions(client, tokens, "party_member.set"))[0]["object_id"] == str(
        zhao["user_id"]
    )
    reported_here = (
        await client.get(
            "/api/v1/party-members", params={"community": "410902001001"}, headers=admin
        )
    ).json()
    assert "赵丽" in [m["name"] for m in reported_here]

    # Reporting to a community outside my area is refused; other areas do not see ours.
    r = await client.put(
        f"/api/v1/volunteers/{zhao['user_id']}/party-member",
        headers=admin,
        json={"kind": "in_service", "reported_community_code": "410902002001"},
    )
    assert r.status_code == 400
    yulan = (
        await client.get("/api/v1/party-members", headers=await tokens.get(client, YULAN_ADMIN))
    ).json()
    assert not {"赵丽", "郑建军"} & {m["name"] for m in yulan}
    assert (
        await client.get(
            "/api/v1/party-members", headers=await tokens.get(client, DENGYUE_VOLUNTEER)
        )
    ).status_code == 403
    # Put her back as the earlier test left her.
    await client.put(
        f"/api/v1/volunteers/{zhao['user_id']}/party-member",
        headers=admin,
        json={"kind": "retired"},
    )


async def test_volunteer_organisation_members_can_leave_and_the_leader_too(client, tokens) -> None:
    admin = await tokens.get(client, DENGYUE_ADMIN)
    volunteers = (await client.get("/api/v1/volunteers", headers=admin)).json()
    zheng = next(v for v in volunteers if v["name"] == "郑建军")
    zhao = next(v for v in volunteers if v["name"] == "赵丽")
    org = (
        await client.post(
            "/api/v1/volunteer-orgs",
            headers=admin,
            json={
                "name": "登月理发小队",
                "community_code": "410902001001",
                "leader_user_id": zheng["user_id"],
            },
        )
    ).json()
    assert org["leader_user_id"] == zheng["user_id"] and org["community"] == "登月社区"
    org = (
        await client.post(
            f"/api/v1/volunteer-orgs/{org['id']}/members",
            headers=admin,
            json={"user_id": zhao["user_id"]},
        )
    ).json()
    assert {p["user_id"] for p in org["people"]} == {zheng["user_id"], zhao["user_id"]}
    path = f"/api/v1/volunteer-orgs/{org['id']}/members"
    assert (
        await client.delete(
            f"{path}/{zhao['user_id']}", headers=await tokens.get(client, YULAN_ADMIN)
        )
    ).status_code == 404
    r = await client.delete(f"{path}/{zhao['user_id']}", headers=admin)
    assert r.status_code == 200 and r.json()["members"] == ["郑建军"]
    assert (await client.delete(f"{path}/{zhao['user_id']}", headers=admin)).status_code == 404
    r = await client.delete(f"{path}/{zheng['user_id']}", headers=admin)
    assert r.json()["leader"] is None and r.json()["members"] == []
    assert (await audit_actions(client, tokens, "volunteer_org.remove_member"))[0][
        "object_id"
    ] == str(org["id"])
    assert (await audit_actions(client, tokens, "volunteer_org.create"))[0]["object_id"] == str(
        org["id"]
    )
