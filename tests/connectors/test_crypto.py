"""Signatures and AES envelopes: the official test vectors, then safe and compatible mode end to end."""
from __future__ import annotations

import base64

import pytest
import xmltodict
from wechatpy.crypto import WeChatCrypto

from connectors.wechat.envelope import Envelope, MalformedMessageError, parse_xml
from connectors.wechat.settings import WeChatSettings
from connectors.wechat.signing import SignatureError, StaleRequestError, signature_of, verify
from tests.connectors.conftest import new_openid

# The official sample of WeChat's message-crypto SDK (WXBizMsgCrypt demo, 公众号消息加解密).
OFFICIAL = dict(token="spamtest", aes_key="abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", app_id="wx2c2769f8efd9abc2",
                timestamp="1409735669", nonce="1320562132", msg_signature="5d197aaffba7e9b25a30732f161a50dee96bd5fa")
OFFICIAL_ENCRYPT = (
    "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9"
    "FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3y"
    "t+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v"
    "6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=")
OFFICIAL_PUSH = (f"<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>"
                 f"<Encrypt><![CDATA[{OFFICIAL_ENCRYPT}]]></Encrypt></xml>").encode()


def _official_envelope(**overrides) -> Envelope:
    settings = WeChatSettings(app_id=OFFICIAL["app_id"], app_secret="-", token=OFFICIAL["token"],
                              encoding_aes_key=OFFICIAL["aes_key"], **overrides)
    return Envelope(settings, now=lambda: int(OFFICIAL["timestamp"]) + 1)


def _official_query(**changes) -> dict:
    query = {"signature": signature_of(OFFICIAL["token"], OFFICIAL["timestamp"], OFFICIAL["nonce"]),
             "timestamp": OFFICIAL["timestamp"], "nonce": OFFICIAL["nonce"], "encrypt_type": "aes",
             "msg_signature": OFFICIAL["msg_signature"]}
    return {**query, **changes}


def test_official_msg_signature_vector():
    assert signature_of(OFFICIAL["token"], OFFICIAL["timestamp"], OFFICIAL["nonce"],
                        OFFICIAL_ENCRYPT) == OFFICIAL["msg_signature"]


def test_official_encrypted_push_decrypts():
    push = _official_envelope().open(OFFICIAL_PUSH, _official_query())
    fields = push.fields
    assert push.encrypted
    assert "<Content><![CDATA[abcdteT]]></Content>" in push.xml
    assert fields["FromUserName"] == "oyORnuP8q7ou2gfYjqLzSIWZf0rs"
    assert fields["Content"] == "abcdteT"
    assert fields["MsgId"] == "6054768590064713728"


def test_official_vector_with_wrong_msg_signature_is_refused():
    with pytest.raises(SignatureError):
        _official_envelope().open(OFFICIAL_PUSH, _official_query(msg_signature="0" * 40))


def test_official_vector_outside_the_window_is_stale():
    settings = WeChatSettings(app_id=OFFICIAL["app_id"], app_secret="-", token=OFFICIAL["token"],
                              encoding_aes_key=OFFICIAL["aes_key"])
    with pytest.raises(StaleRequestError):
        Envelope(settings).open(OFFICIAL_PUSH, _official_query())


def test_wrong_app_id_is_refused():
    settings = WeChatSettings(app_id="wx0000000000000000", app_secret="-", token=OFFICIAL["token"],
                              encoding_aes_key=OFFICIAL["aes_key"])
    envelope = Envelope(settings, now=lambda: int(OFFICIAL["timestamp"]))
    with pytest.raises(MalformedMessageError):
        envelope.open(OFFICIAL_PUSH, _official_query())


def test_sealed_reply_is_what_wechatpy_decrypts():
    envelope = _official_envelope()
    sealed = envelope.seal("<xml><Content><![CDATA[好的]]></Content></xml>", "123456", encrypted=True)
    outer = xmltodict.parse(sealed)["xml"]
    crypto = WeChatCrypto(OFFICIAL["token"], OFFICIAL["aes_key"], OFFICIAL["app_id"])
    plain = crypto.decrypt_message(sealed, outer["MsgSignature"], outer["TimeStamp"], outer["Nonce"])
    assert "好的" in plain
    assert outer["Nonce"] == "123456"


def test_signature_check_is_constant_time_and_windowed():
    good = signature_of("t", "1000", "n")
    verify("t", good, "1000", "n", now=lambda: 1000)
    verify("t", good.upper(), "1000", "n", now=lambda: 1299)
    with pytest.raises(StaleRequestError):
        verify("t", good, "1000", "n", now=lambda: 1301)
    for bad in ({"signature": None}, {"signature": "x" * 40}, {"timestamp": "12a"}, {"nonce": ""}):
        args = {"signature": good, "timestamp": "1000", "nonce": "n", **bad}
        with pytest.raises(SignatureError):
            verify("t", args["signature"], args["timestamp"], args["nonce"], now=lambda: 1000)


@pytest.mark.parametrize("body", [
    b"",
    b"not xml",
    b"<html><body/></html>",
    b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
    b"<xml><Content>&b;</Content></xml>",
    b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><Content>&x;</Content></xml>',
])
def test_hostile_or_malformed_xml_is_refused(body):
    with pytest.raises(MalformedMessageError):
        parse_xml(body)


async def test_safe_mode_end_to_end(start_server):
    harness = await start_server(aes=True)
    openid = new_openid()
    delivery = await harness.peer.push(harness.peer.text(openid, "在吗"))
    assert delivery.status == 200
    assert "<Encrypt>" in delivery.body and "<MsgSignature>" in delivery.body
    assert "你说" not in delivery.body  # nothing readable on the wire
    assert delivery.reply == "你说：在吗"


async def test_safe_mode_refuses_plaintext_pushes(start_server):
    harness = await start_server(aes=True)
    harness.peer._crypto = None  # a plaintext push to a safe-mode server
    delivery = await harness.peer.push(harness.peer.text(new_openid(), "在吗"), tries=1)
    assert delivery.status == 403
    assert harness.agent.turns == []


async def test_compatible_mode_accepts_both(start_server):
    harness = await start_server(aes=True, encrypt_mode="compatible")
    openid = new_openid()
    assert (await harness.peer.push(harness.peer.text(openid, "密文"))).reply == "你说：密文"
    crypto, harness.peer._crypto = harness.peer._crypto, None
    delivery = await harness.peer.push(harness.peer.text(openid, "明文"))
    assert "<Encrypt>" not in delivery.body and delivery.reply == "你说：明文"
    harness.peer._crypto = crypto


async def test_tampered_ciphertext_is_refused(start_server):
    harness = await start_server(aes=True)
    peer = harness.peer
    query, body = peer.signed(peer.text(new_openid(), "在吗"))
    encrypt = xmltodict.parse(body)["xml"]["Encrypt"]
    raw = bytearray(base64.b64decode(encrypt))
    raw[20] ^= 0xFF
    forged = base64.b64encode(bytes(raw)).decode()
    query["msg_signature"] = signature_of(peer.token, query["timestamp"], query["nonce"], forged)
    status, _ = await peer.post_raw(query, body.replace(encrypt.encode(), forged.encode()))
    assert status == 400
    assert harness.agent.turns == []


async def test_encrypted_push_to_plaintext_server_is_refused(start_server):
    harness = await start_server()
    from wechatpy.crypto import WeChatCrypto as Crypto

    from connectors.wechat.testing.fake_api import DEMO_AES_KEY
    harness.peer._crypto = Crypto(harness.peer.token, DEMO_AES_KEY, harness.peer.app_id)
    delivery = await harness.peer.push(harness.peer.text(new_openid(), "在吗"), tries=1)
    assert delivery.status == 400
