"""Photo upload (sniffed, bounded, deduplicated) and the volunteer-hours ledger."""

from __future__ import annotations

from tests.conftest import DENGYUE_ADMIN, DENGYUE_RESIDENT, DENGYUE_VOLUNTEER
from tests.integration.test_wishes import act, post_wish
from tests.support.images import png as image


async def test_photos_upload_once_and_only_images(client, tokens) -> None:
    headers = {**await tokens.get(client, DENGYUE_RESIDENT), "Content-Type": "image/png"}
    png = image(b"\x00\xff\x00")  # one green pixel
    first = await client.post("/api/v1/media", content=png, headers=headers)
    assert first.status_code == 201, first.text
    again = await client.post("/api/v1/media", content=png, headers=headers)
    assert again.json()["key"] == first.json()["key"]
    got = await client.get(f"/api/v1/media/{first.json()['key']}", headers=headers)
    assert (
        got.status_code == 200 and got.content == png and got.headers["content-type"] == "image/png"
    )
    fake = await client.post(
        "/api/v1/media",
        content=b"<script>alert(1)</script>",
        headers={**headers, "Content-Type": "image/jpeg"},
    )
    assert fake.status_code == 415 and fake.json()["detail"].startswith("只能上传")
    big = await client.post(
        "/api/v1/media", content=b"\xff\xd8\xff" + b"0" * (1024 * 1024 + 10), headers=headers
    )
    assert big.status_code == 413
    assert (await client.post("/api/v1/media", content=png)).status_code == 401
    # A wish can carry the photo.
    wish = await post_wish(client, tokens, photo=first.json()["key"])
    assert wish["photo"] == first.json()["key"]


async def test_hours_are_credited_once_per_confirmed_wish(client, tokens) -> None:
    volunteer = await tokens.get(client, DENGYUE_VOLUNTEER)
    before = (await client.get("/api/v1/me/hours", headers=volunteer)).json()["total"]
    wid = (await post_wish(client, tokens))["id"]
    await act(client, tokens, DENGYUE_ADMIN, wid, "approve")
    await act(client, tokens, DENGYUE_VOLUNTEER, wid, "claim")
    await act(client, tokens, DENGYUE_VOLUNTEER, wid, "fulfil", {"note": "已完成"})
    staff_confirm = await act(client, tokens, DENGYUE_ADMIN, wid, "confirm", {"hours": 2.5})
    assert staff_confirm.status_code == 200, staff_confirm.text
    after = (await client.get("/api/v1/me/hours", headers=volunteer)).json()
    assert after["total"] == before + 2.5
    assert after["entries"][0] == {
        **after["entries"][0],
        "hours": 2.5,
        "source_type": "wish",
        "source_id": wid,
    }
