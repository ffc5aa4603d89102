"""好差评 ratings and complaints; what the bot sees of them, and what only staff see."""
from __future__ import annotations

import json
from datetime import datetime

from govbot.clock import CHINA_TZ
from tests.portal.conftest import ADMIN


async def test_ratings_store_all_five_levels_and_queue_the_bad_ones(portal, admin):
    for level in ("非常满意", "满意", "基本满意", "不满意", "非常不满意"):
        response = await portal.post("/api/v1/evaluations", json={"level": level, "channel": "wechat",
                                                                   "item_code": "GA-0003", "text": "测试",
                                                                   "openid": "o_rater"})
        assert response.status == 201
        assert "openid" not in await response.json() and "text" not in await response.json()
    queue = (await (await admin.get("/api/v1/evaluations/rectification")).json())["evaluations"]
    assert [e["level"] for e in queue] == ["不满意", "非常不满意"]
    assert {e["openid"] for e in queue} == {"o_rater"}  # staff follow up with the citizen


async def test_the_rectification_queue_is_for_staff_only(portal, anonymous):
    await portal.post("/api/v1/evaluations", json={"level": "非常不满意", "text": "很差", "openid": "o_citizen"})
    assert (await anonymous.get("/api/v1/evaluations/rectification")).status == 401
    bot = await portal.get("/api/v1/evaluations/rectification")
    assert bot.status == 403 and "o_citizen" not in await bot.text()


async def test_unknown_rating_level_is_refused(portal):
    response = await portal.post("/api/v1/evaluations", json={"level": "还行吧"})
    assert response.status == 422


async def test_complaint_gets_a_reference_that_finds_it(portal, admin):
    response = await portal.post("/api/v1/complaints", json={"text": "窗口工作人员态度差", "contact": "13800001111"})
    assert response.status == 201
    reference = (await response.json())["reference"]
    assert reference.startswith("TS20261125")
    stored = await (await admin.get(f"/api/v1/complaints/{reference}")).json()
    assert stored["text"] == "窗口工作人员态度差" and stored["status"] == "received"


async def test_the_bot_sees_a_complaints_status_never_its_text_or_contact(portal, anonymous, make_portal):
    sent = {"text": "窗口工作人员态度差，身份证号110101199003071234", "contact": "13800001111", "openid": "o_plaintiff"}
    created = await portal.post("/api/v1/complaints", json=sent)
    reference = (await created.json())["reference"]
    for body in (await created.text(), await (await portal.get(f"/api/v1/complaints/{reference}")).text()):
        shown = json.loads(body)
        assert shown["reference"] == reference and shown["status"] == "received"
        assert not {"text", "contact", "openid"} & set(shown)
        assert "13800001111" not in body and "1101011990" not in body and "o_plaintiff" not in body
    assert (await anonymous.get(f"/api/v1/complaints/{reference}")).status == 401


async def test_without_an_admin_key_complaint_details_stay_closed(make_portal, as_caller):
    portal = await make_portal(admin_key=None)
    reference = (await (await portal.post("/api/v1/complaints", json={"text": "态度很差很差"})).json())["reference"]
    shown = await (await portal.get(f"/api/v1/complaints/{reference}")).json()
    assert "text" not in shown
    former_admin = await as_caller(portal, ADMIN)
    assert (await former_admin.get(f"/api/v1/complaints/{reference}")).status == 401
    assert (await portal.get("/api/v1/evaluations/rectification")).status == 403


async def test_a_complaint_is_stored_with_the_phone_the_citizen_gave_for_the_answer(portal, admin):
    sent = {"text": "窗口工作人员态度差", "contact": "13912345678", "openid": "o_plaintiff"}
    reference = (await (await portal.post("/api/v1/complaints", json=sent)).json())["reference"]
    stored = await (await admin.get(f"/api/v1/complaints/{reference}")).json()
    assert stored["contact"] == "13912345678" and stored["openid"] == "o_plaintiff"


async def test_a_complaint_without_a_phone_keeps_the_openid_for_the_answer(portal, admin):
    sent = {"text": "大厅排队太久没人管", "openid": "o_wechat_only"}
    reference = (await (await portal.post("/api/v1/complaints", json=sent)).json())["reference"]
    stored = await (await admin.get(f"/api/v1/complaints/{reference}")).json()
    assert stored["contact"] is None and stored["openid"] == "o_wechat_only"


async def test_the_citizen_is_told_the_answer_day_in_china_working_days(portal):
    # Wednesday 25 Nov 2026: five working days later is Wednesday 2 Dec (the weekend skipped)
    created = await (await portal.post("/api/v1/complaints", json={"text": "窗口工作人员态度差"})).json()
    assert created["answer_by"] == "2026-12-02"
    shown = await (await portal.get(f"/api/v1/complaints/{created['reference']}")).json()
    assert shown["answer_by"] == "2026-12-02"


async def test_the_answer_day_waits_out_a_holiday_and_counts_a_make_up_saturday(portal, clock):
    # 30 Sep 2026, eve of 国庆: 1-7 Oct closed; 8, 9, Sat 10 (调休), 12, 13 Oct are the five working days
    clock.now = datetime(2026, 9, 30, 23, 30, tzinfo=CHINA_TZ)
    created = await (await portal.post("/api/v1/complaints", json={"text": "窗口工作人员态度差"})).json()
    assert created["reference"].startswith("TS20260930")
    assert created["answer_by"] == "2026-10-13"
