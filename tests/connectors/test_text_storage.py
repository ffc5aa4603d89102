"""Long-text splitting (property-based) and the two storage implementations behaving alike."""
from __future__ import annotations

import asyncio
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.wechat.storage import Storage
from connectors.wechat.text import MAX_BYTES, byte_length, split_text
from tests.connectors.conftest import REDIS_URL

SENTENCES = st.lists(st.text(alphabet="政务服务办理材料身份证abc123，、 ", min_size=0, max_size=400).map(
    lambda s: s + "。"), min_size=1, max_size=30)


@settings(max_examples=60, deadline=None)
@given(SENTENCES)
def test_split_keeps_every_character_and_the_byte_limit(sentences):
    text = "".join(sentences).strip()
    parts = split_text(text)
    assert all(byte_length(part) <= MAX_BYTES for part in parts)
    assert "".join(parts).replace(" ", "") == text.replace(" ", "")


@settings(max_examples=30, deadline=None)
@given(st.text(min_size=1, max_size=3000))
def test_split_never_breaks_the_limit_even_without_sentences(text):
    assert all(byte_length(part) <= 600 for part in split_text(text, limit=600))


def test_split_prefers_sentence_ends():
    sentence = "第一步，携带身份证原件到窗口。"
    parts = split_text(sentence * 200)
    assert len(parts) > 1 and all(part.endswith("。") for part in parts)
    assert split_text("") == [] and split_text("短句") == ["短句"]


@pytest.fixture(params=["in-process", "redis"])
async def store(request, redis_prefix):
    storage = Storage.in_process() if request.param == "in-process" else Storage.connect(REDIS_URL, redis_prefix)
    yield storage
    await storage.close()


async def test_claims_and_compare_and_delete(store):
    assert await store.set("k", "a", 5, nx=True)
    assert not await store.set("k", "b", 5, nx=True)
    assert await store.get("k") == "a"
    assert not await store.delete_if_equals("k", "b")
    assert await store.extend_if_equals("k", "a", 5)
    assert await store.delete_if_equals("k", "a")
    assert await store.get("k") is None and not await store.exists("k")


async def test_ttl_expires(store):
    await store.set("short", "x", 0.1)
    await asyncio.sleep(0.2)
    assert await store.get("short") is None
    assert await store.set("short", "y", 5, nx=True)


async def test_counters_queues_and_lists(store):
    assert not await store.spend("quota")
    await store.set("quota", "2", 5)
    assert [await store.spend("quota") for _ in range(3)] == [True, True, False]
    for member in ("m1", "m2", "m3"):
        await store.enqueue("q", member, 5)
    await store.enqueue("q", "m1", 5)  # joining twice keeps the first place
    assert await store.head("q") == "m1"
    await store.dequeue("q", "m1")
    assert await store.head("q") == "m2"
    await store.append("l", ["a", "b"], 5, max_len=3)
    await store.append("l", ["c", "d"], 5, max_len=3)
    assert await store.pop_all("l") == ["b", "c", "d"]
    assert await store.pop_all("l") == []


async def test_turn_composites_behave_alike(store):
    from connectors.wechat.storage import TurnKeys

    def keys(member):
        return TurnKeys(member=member, queue="queue:u", pushing="pushing:u", done_ttl=60)

    await store.append("pending:u", ['"旧1"'], 60, 20)
    await store.set("choices:u", '["/ask_guide"]', 60)
    begun = await store.begin(keys("a"), "me", 5, 60, ("quota:u", "5", 60), "choices:u", "pending:u")
    assert (begun.won, begun.first, begun.taken, begun.clear) == (True, True, '["/ask_guide"]', False)
    assert await store.get("quota:u") == "5" and await store.get("choices:u") is None
    assert not (await store.begin(keys("a"), "other", 5, 60)).won
    texts, settled = await store.finish(keys("a"), ["新1", "新2"], "pending:u", True, 5)
    assert texts == ["旧1", "新1", "新2"]
    assert (settled.mode, settled.done, settled.busy) == ("passive", True, False)  # takes the output
    assert await store.get("pushing:u") == "a" and await store.head("queue:u") is None
    # a later turn of the user must not answer while "a" pushes
    begun = await store.begin(keys("b"), "me", 5, 60)
    assert begun.won and begun.first and not begun.clear  # "a" still pushes
    texts, settled = await store.finish(keys("b"), ["答"], None, True, 5)
    assert settled.busy and not settled.done and settled.mode is None
    assert await store.decide(keys("b")) == (None, None)
    assert await store.delete_if_equals("pushing:u", "a")
    settled = await store.settle(keys("b"), 1, False, 5)
    assert (settled.mode, settled.done, settled.busy) == (None, False, False)  # waits for a delivery
    mode, result = await store.decide(keys("b"))
    assert (mode, json.loads(result)) == ("passive", ["答"])  # JSON alike (Lua's cjson may escape non-ASCII)
    settled = await store.settle(keys("b"), 1, False, 5)
    assert (settled.mode, settled.done) == ("passive", True) and await store.get("pushing:u") is None
    assert await store.owner_of("b") == "done" and await store.mode_of("b") == "passive"
    assert not await store.push_if_open("b", 60)  # settled once: a late deadline changes nothing
    assert await store.renew("a", "me", 5) is False  # done: no lease to renew
