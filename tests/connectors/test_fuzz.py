"""Hypothesis fuzz of the webhook: ≥ 10,000 signed pushes, no server error, no hang (slow).

The WeChat side is wechatpy (``WeChatSigner``, ``WeChatCrypto`` through ``WeChatPeer``): every
push is properly signed, half of them in safe mode (encrypted, ``msg_signature``), against the
real channel app on loopback with the ``EchoAgent``. What is signed is hostile: valid pushes of
every MsgType, then mutated — fields dropped, repeated, nested, replaced with unicode, CDATA
tricks, raw markup, huge or negative numbers, oversize text, odd MsgTypes and events, an empty
or foreign ``ToUserName``, odd roots and prologs — plus query tricks: a replayed query with a
new body, a genuine retry (same query, same body), odd timestamps, and in safe mode a damaged
outer envelope. Each example sends a batch concurrently, each request with a timeout.

    .venv/bin/pytest -m slow -s tests/connectors/test_fuzz.py

prints the number of pushes, the statuses, the server errors (status ≥ 500) and the hangs.
"""
from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple, Union
from xml.sax.saxutils import escape

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wechatpy.utils import WeChatSigner

from connectors.wechat.testing.fake_api import DEMO_ACCOUNT
from connectors.wechat.testing.simulator import WeChatPeer

pytestmark = pytest.mark.slow

BATCH = 10  # pushes drawn per example; each is sent in plaintext and in safe mode, all at once
EXAMPLES = int(os.environ.get("WECHAT_FUZZ_EXAMPLES", "510"))  # 10,200 pushes (and the retries' second tries)
REQUEST_TIMEOUT = 10.0  # the passive answer comes within 4 s; WeChat itself gives up after 5
AGENT_COMMANDS = {"slow", "multi", "long", "buttons", "boom"}  # the EchoAgent's, not the connector's

MSG_FIELDS = {
    "text": ["Content"], "voice": ["MediaId", "Format", "Recognition"], "image": ["PicUrl", "MediaId"],
    "location": ["Location_X", "Location_Y", "Scale", "Label"], "link": ["Title", "Description", "Url"],
    "video": ["MediaId", "ThumbMediaId"], "shortvideo": ["MediaId", "ThumbMediaId"], "file": ["Title", "FileKey"],
    "miniprogrampage": ["AppId", "Title", "PagePath"],
}
EVENTS = ["subscribe", "unsubscribe", "SCAN", "CLICK", "VIEW", "LOCATION", "scancode_push", "pic_weixin",
          "location_select", "MASSSENDJOBFINISH", "TEMPLATESENDJOBFINISH", "user_get_card", "", "nonsense",
          "ＣＬＩＣＫ"]
ODD_TYPES = ["", "TEXT", "Event", "unknown", "ｔｅｘｔ", "text\n", " text", "event ", "<b>", "text]]>"]
FIELD_NAMES = sorted({"ToUserName", "FromUserName", "CreateTime", "MsgType", "MsgId", "Event", "EventKey", "Encrypt",
                      "ScanCodeInfo", "SendPicsInfo", "Ticket", "Latitude", "MsgID", "Status",
                      *[name for names in MSG_FIELDS.values() for name in names]})
OPENIDS = ["o" + "fuzz" * 6 + f"{n:03d}" for n in range(4)]  # a few shared users: per-user order under load

# ------------------------------------------------------------ values


@dataclass(frozen=True)
class Text:
    value: str
    how: str = "cdata"  # "cdata", "escaped" or "raw" (unescaped: may break the XML)


@dataclass(frozen=True)
class Nested:
    children: Tuple[Tuple[str, "Node"], ...]


Node = Union[Text, Nested]

plain_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=24)
control = st.sampled_from(["\x00", "\x01", "\x0b", "\x1f", "\ufffe", "\uffff", "\x7f", "\u2028"])
numbers = st.one_of(
    st.integers(-10 ** 40, 10 ** 40).map(str),
    st.sampled_from(["²", "１７６４０００００", "9" * 5000, "-0", "1e10", " 1764000000", "0x10", "NaN", "١٢٣",
                     "0" * 30]))
tricks = st.sampled_from([
    "]]>", "<![CDATA[", "]]]]><![CDATA[>", "&amp;", "&lt;xml&gt;", "&#0;", "&#x1F600;", "&bogus;", "<a>", "</xml>",
    "<?xml version='1.0'?>", "<!-- x -->", "<!DOCTYPE x>", "\r\n", "\t", "%00", "\\u0000", "'\"", "${jndi:x}",
    "{{7*7}}", "' OR 1=1 --", "../../etc/passwd", "\u202e", "\ufeff", "🙂" * 50])
oversize = st.sampled_from([1999, 2000, 2001, 6000, 21500, 23000]).map(lambda n: "办" * n)  # 23,000: over 64 KB
strings = st.one_of(plain_text, plain_text, numbers, tricks, control, oversize,
                    st.lists(st.one_of(plain_text, tricks, control), max_size=4).map("".join))
texts = st.builds(Text, strings, st.sampled_from(["cdata", "cdata", "escaped", "raw"]))
names = st.sampled_from(FIELD_NAMES + ["中文", "xml", "a:b", "1abc", "a b", "", "Content/", "x" * 300, "_", "A.b-c"])
leaf_lists = st.lists(st.tuples(names, texts), min_size=1, max_size=3).map(lambda children: Nested(tuple(children)))
deep = st.tuples(names, names, texts).map(lambda t: Nested(((t[0], Nested(((t[1], t[2]),))),)))
nodes = st.one_of(texts, texts, leaf_lists, deep)  # one or two levels: each costs draws, deeper finds nothing new


def render(node: Node, field_name: str = "") -> str:
    if isinstance(node, Nested):
        return "".join(_element(name, child) for name, child in node.children)
    value = node.value
    if field_name in ("Content", "Recognition") and value.strip().split(" ")[0] in AGENT_COMMANDS:
        value = "·" + value
    if node.how == "escaped":
        return escape(value)
    if node.how == "raw":
        return value
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _element(name: str, node: Node) -> str:
    inner = render(node, name)
    return f"<{name}>{inner}</{name}>" if inner else f"<{name}/>"


# ------------------------------------------------------------ pushes


@dataclass
class Push:
    fields: List[Tuple[str, Node]]
    wrapper: str  # how the document around the fields looks
    query: str  # "fresh", "replay", "retry", "odd_timestamp"
    outer: str = "ok"  # safe mode: the envelope around <Encrypt>
    timestamp: Optional[str] = None

    def xml(self) -> str:
        inner = "".join(_element(name, node) for name, node in self.fields)
        return {
            "xml": f"<xml>{inner}</xml>",
            "prolog": f'<?xml version="1.0" encoding="utf-8"?>\n<xml>{inner}</xml>',
            "attribute": f'<xml id="1" xmlns:w="urn:x">{inner}</xml>',
            "other_root": f"<XML>{inner}</XML>",
            "trailing": f"<xml>{inner}</xml><xml/>",
            "unclosed": f"<xml>{inner}",
            "entity": f'<!DOCTYPE xml [<!ENTITY e "{"x" * 50}">]><xml>{inner}<Content>&e;</Content></xml>',
            "bom": f"\ufeff<xml>{inner}</xml>",
            "empty": "",
        }[self.wrapper]


msg_types = st.sampled_from([*MSG_FIELDS, "event", "event", "event", *ODD_TYPES])
openids = st.one_of(st.sampled_from(OPENIDS), st.integers(0, 16 ** 27).map(lambda n: f"o{n:027x}"))
ages = st.integers(0, 600)
events = st.sampled_from(EVENTS)
event_keys = st.one_of(st.sampled_from(["GUIDE", "BOOK", "STATUS", "qrscene_hall_001", "hall_001", "NO_SUCH_KEY", ""]),
                       strings)
field_values = st.one_of(st.builds(Text, plain_text), texts)
msg_ids = st.integers(1, 2 ** 64)
mutations = st.lists(st.tuples(st.sampled_from(["drop", "repeat", "nest", "replace", "add", "empty_to", "foreign_to"]),
                               names, nodes, st.integers(0, 20)), max_size=4)
wrappers = st.sampled_from(["xml"] * 12 + ["prolog", "attribute", "other_root", "trailing", "unclosed", "entity", "bom",
                            "empty"])
query_tricks = st.sampled_from(["fresh"] * 14 + ["replay", "retry", "odd_timestamp"])
outer_tricks = st.sampled_from(["ok"] * 12 + ["repeated", "nested", "garbage", "missing", "foreign_to"])


@st.composite
def pushes(draw: st.DrawFn, now: int) -> Push:
    """A valid push of a random MsgType, then up to 4 mutations (strategies built once, above:
    building them per draw costs more than the draws)."""
    msg_type = draw(msg_types)
    fields: List[Tuple[str, Node]] = [
        ("ToUserName", Text(DEMO_ACCOUNT)), ("FromUserName", Text(draw(openids))),
        ("CreateTime", Text(str(now - draw(ages)), "raw")), ("MsgType", Text(msg_type))]
    if msg_type.strip().lower() == "event":
        fields += [("Event", Text(draw(events))), ("EventKey", Text(draw(event_keys)))]
    else:
        fields += [(name, draw(field_values)) for name in MSG_FIELDS.get(msg_type, ["Content"])]
        fields.append(("MsgId", Text(str(draw(msg_ids)), "raw")))
    for kind, name, node, index in draw(mutations):
        _mutate(fields, kind, name, node, index)
    timestamp = draw(st.sampled_from(["²", "0", "99999999999", "１７６４０００００", str(now + 1000), "01" + str(now)]))
    return Push(fields, draw(wrappers), draw(query_tricks), draw(outer_tricks), timestamp)


def _mutate(fields: List[Tuple[str, Node]], kind: str, name: str, node: Node, index: int) -> None:
    at = index % len(fields) if fields else 0
    if kind == "drop" and fields:
        del fields[at]
    elif kind == "repeat" and fields:
        fields.insert(at, fields[at])
    elif kind == "nest" and fields:
        fields[at] = (fields[at][0], Nested(((name or "a", node),)))
    elif kind == "replace" and fields:
        fields[at] = (fields[at][0], node)
    elif kind == "add":
        fields.insert(at, (name, node))
    elif kind == "empty_to":
        fields[:] = [(n, Text("") if n == "ToUserName" else v) for n, v in fields]
    elif kind == "foreign_to":
        fields[:] = [(n, Text("gh_someoneelse01") if n == "ToUserName" else v) for n, v in fields]


def sign(peer: WeChatPeer, push: Push, previous: Dict[str, str], safe: bool) -> Tuple[Dict[str, str], bytes]:
    """Query and body as WeChat (wechatpy) signs them, then the push's query or envelope trick."""
    xml = push.xml()
    timestamp = push.timestamp if push.query == "odd_timestamp" else None
    query, body = peer.signed(xml, timestamp=timestamp)
    if push.query == "replay" and previous:
        query = dict(previous)
    if safe and push.outer != "ok":
        encrypt = body.split(b"<Encrypt><![CDATA[")[1].split(b"]]>")[0].decode()
        if push.outer == "garbage":
            encrypt = encrypt[::-1]
        single = f"<Encrypt>{encrypt}</Encrypt>"
        envelope = {"repeated": single * 2, "nested": f"<Encrypt><e>{encrypt}</e></Encrypt>", "missing": "",
                    "garbage": single, "foreign_to": single}[push.outer]
        to = "gh_someoneelse01" if push.outer == "foreign_to" else DEMO_ACCOUNT
        body = f"<xml><ToUserName>{to}</ToUserName>{envelope}</xml>".encode()
        signer = WeChatSigner()
        signer.add_data(peer.token, query["timestamp"], query["nonce"], encrypt)
        query["msg_signature"] = signer.signature
    return query, body


# ------------------------------------------------------------ the run


@dataclass(repr=False)  # hypothesis prints the fixtures of a failing example: keep it short
class Tally:
    pushes: int = 0
    statuses: Counter = field(default_factory=Counter)
    server_errors: List[str] = field(default_factory=list)
    hangs: List[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    def __repr__(self) -> str:
        return f"Tally({self.pushes} pushes, {len(self.server_errors)} server errors, {len(self.hangs)} hangs)"


@pytest.fixture
async def servers(start_server):
    return {False: await start_server(), True: await start_server(aes=True)}


@pytest.fixture
def tally(capsys):
    result = Tally()
    yield result
    with capsys.disabled():
        print(f"\nwechat fuzz: {result.pushes} signed pushes in {time.monotonic() - result.started:.0f} s, "
              f"{sum(result.statuses[s] for s in result.statuses if isinstance(s, int) and s >= 500)} server errors, "
              f"{len(result.hangs)} hangs; statuses {dict(sorted(result.statuses.items(), key=str))}")


async def _post(session: aiohttp.ClientSession, url: str, query: Dict[str, str], body: bytes) -> Union[int, str]:
    try:
        async with session.post(url, params=query, data=body, headers={"Content-Type": "text/xml"},
                                timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)) as response:
            await response.read()
            return response.status
    except asyncio.TimeoutError:
        return "hang"
    except aiohttp.ClientError as error:  # the server dropped the connection: as bad as a 500
        return f"dropped: {type(error).__name__}"


@pytest.mark.timeout(420)
@settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(batch=st.lists(pushes(now=int(time.time())), min_size=BATCH, max_size=BATCH))
async def test_ten_thousand_signed_pushes_get_no_server_error_and_no_hang(servers, tally, batch):
    previous: Dict[bool, Dict[str, str]] = {}
    sends = []
    for push in batch:
        for safe, harness in servers.items():
            query, body = sign(harness.peer, push, previous.get(safe, {}), safe)
            previous[safe] = query
            for _ in range(2 if push.query == "retry" else 1):
                sends.append((push, safe, harness, query, body))
    results = await asyncio.gather(*(_post(harness.peer.session, harness.webhook, query, body)
                                     for _, _, harness, query, body in sends))
    failures = []
    for (push, safe, _, _query, body), status in zip(sends, results, strict=True):
        tally.pushes += 1
        tally.statuses[status] += 1
        if status == "hang":
            tally.hangs.append(push.xml()[:300])
        if not isinstance(status, int) or status >= 500:
            tally.server_errors.append(push.xml()[:300])
            failures.append((status, "safe" if safe else "plaintext", push.query, push.outer, body[:300]))
    assert not failures, failures[:3]
