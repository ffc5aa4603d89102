"""好差评 ratings and complaints."""
from __future__ import annotations


async def test_ratings_store_all_five_levels_and_queue_the_bad_ones(portal):
    for level in ("非常满意", "满意", "基本满意", "不满意", "非常不满意"):
        response = await portal.post("/api/v1/evaluations", json={"level": level, "channel": "wechat",
                                                                   "item_code": "GA-0003", "text": "测试"})
        assert response.status == 201
    queue = (await (await portal.get("/api/v1/evaluations/rectification")).json())["evaluations"]
    assert [e["level"] for e in queue] == ["不满意", "非常不满意"]


async def test_unknown_rating_level_is_refused(portal):
    response = await portal.post("/api/v1/evaluations", json={"level": "还行吧"})
    assert response.status == 422


async def test_complaint_gets_a_reference_that_finds_it(portal):
    response = await portal.post("/api/v1/complaints", json={"text": "窗口工作人员态度差", "contact": "13800001111"})
    assert response.status == 201
    reference = (await response.json())["reference"]
    assert reference.startswith("TS20261125")
    stored = await (await portal.get(f"/api/v1/complaints/{reference}")).json()
    assert stored["text"] == "窗口工作人员态度差" and stored["status"] == "received"
