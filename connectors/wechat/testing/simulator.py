"""本地微信模拟器（``govbot chat``）：像微信服务器一样把消息签名（``--aes`` 时加密）推给 webhook。

它扮演微信一方，协议实现只用 wechatpy（签名 ``WeChatSigner``、加解密 ``WeChatCrypto``、回复解析
``deserialize_reply``），不用连接器自己的代码，因此也是测试里“独立的另一方”：

- 消息推送与 5 秒超时重试（共 3 次）：
  https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_standard_messages.html
- 加解密：https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Message_encryption_and_decryption_instructions.html

The terminal chat prints replies from both paths: the passive answer of the webhook and the
customer-service messages the server sent to the fake WeChat API (long-polled from it).
"""
from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sys
import time
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence, TextIO, Tuple
from xml.parsers.expat import ExpatError
from xml.sax.saxutils import escape  # nosec B406  # quotes text only; nothing is parsed with xml.sax

import aiohttp
import xmltodict
from wechatpy.crypto import WeChatCrypto
from wechatpy.replies import BaseReply, deserialize_reply
from wechatpy.utils import WeChatSigner

from connectors.wechat.cli import FAKE_PORT, configure_chat
from connectors.wechat.testing.fake_api import DEMO_ACCOUNT, DEMO_AES_KEY, DEMO_APP_ID, DEMO_TOKEN

WECHAT_TIMEOUT = 5.0  # WeChat drops a request after 5 s ...
WECHAT_TRIES = 3  # ... and tries 3 times in all


@dataclass
class Delivery:
    """What WeChat got back for one push (over all its tries)."""
    status: int
    body: str
    reply: Optional[str]  # passive text reply, if any
    tries: int
    elapsed: float
    timed_out: bool = False
    reply_type: Optional[str] = None  # the passive reply's MsgType (text, transfer_customer_service…)


def _openid_in(xml: str) -> Optional[str]:
    """``FromUserName`` for the URL's ``openid``, as WeChat adds it; None for a push that is not
    a well-formed message (tests and the fuzz sign those too)."""
    try:
        fields = xmltodict.parse(xml)["xml"]
        openid = fields.get("FromUserName") if isinstance(fields, dict) else None
    except (ExpatError, KeyError, TypeError, ValueError):
        return None
    return openid if isinstance(openid, str) else None


def _cdata(value: str) -> str:
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


class WeChatPeer:
    """The WeChat side of the webhook: builds, signs, encrypts, retries and reads replies."""

    def __init__(self, webhook_url: str, token: str, app_id: str, aes_key: Optional[str] = None,
                 account: str = DEMO_ACCOUNT, fake_api_url: Optional[str] = None,
                 session: Optional[aiohttp.ClientSession] = None):
        self.webhook_url = webhook_url
        self.token = token
        self.app_id = app_id
        self.account = account
        self.fake_api_url = fake_api_url.rstrip("/") + "/" if fake_api_url else None
        self._crypto = WeChatCrypto(token, aes_key, app_id) if aes_key else None
        self._session = session
        self._own_session = session is None
        self._msg_id = int(time.time() * 1000) * 1000 + secrets.randbelow(1000)

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    async def close(self) -> None:
        if self._own_session and self._session is not None:
            await self._session.close()
            self._session = None

    # ------------------------------------------------------------ building pushes

    def next_msg_id(self) -> int:
        self._msg_id += 1
        return self._msg_id

    def message_xml(self, openid: str, msg_type: str, fields: Dict[str, Any],
                    create_time: Optional[int] = None, msg_id: Optional[int] = None) -> str:
        """A push as WeChat sends it (``MsgId`` for messages, none for events)."""
        parts = [f"<ToUserName>{_cdata(self.account)}</ToUserName>", f"<FromUserName>{_cdata(openid)}</FromUserName>",
                 f"<CreateTime>{create_time or int(time.time())}</CreateTime>",
                 f"<MsgType>{_cdata(msg_type)}</MsgType>"]
        for name, value in fields.items():
            parts.append(f"<{name}>{value}</{name}>" if isinstance(value, (int, float))
                         else f"<{name}>{_cdata(str(value))}</{name}>")
        if msg_type != "event":
            parts.append(f"<MsgId>{msg_id or self.next_msg_id()}</MsgId>")
        return "<xml>" + "".join(parts) + "</xml>"

    def text(self, openid: str, content: str, **kwargs: Any) -> str:
        return self.message_xml(openid, "text", {"Content": content}, **kwargs)

    def voice(self, openid: str, recognition: Optional[str], **kwargs: Any) -> str:
        fields = {"MediaId": "media_" + secrets.token_hex(8), "Format": "amr"}
        if recognition is not None:
            fields["Recognition"] = recognition
        return self.message_xml(openid, "voice", fields, **kwargs)

    def event(self, openid: str, event: str, key: Optional[str] = None, **kwargs: Any) -> str:
        fields = {"Event": event}
        if key is not None:
            fields["EventKey"] = key
        return self.message_xml(openid, "event", fields, **kwargs)

    def kf_close_session(self, openid: str, kf_account: str = "kf2001@gh_demo", **kwargs: Any) -> str:
        """WeChat's event when one of the account's customer-service agents closed the session."""
        return self.message_xml(openid, "event", {"Event": "kf_close_session", "KfAccount": kf_account}, **kwargs)

    def signed(self, xml: str, timestamp: Optional[str] = None, nonce: Optional[str] = None
               ) -> Tuple[Dict[str, str], bytes]:
        """URL query and body, signed (and in safe mode encrypted) as WeChat does."""
        timestamp = timestamp or str(int(time.time()))
        nonce = nonce or str(secrets.randbelow(10 ** 10))
        signer = WeChatSigner()
        signer.add_data(self.token, timestamp, nonce)
        query = {"signature": signer.signature, "timestamp": timestamp, "nonce": nonce}
        openid = _openid_in(xml)
        if openid:
            query["openid"] = openid
        if self._crypto is None:
            return query, xml.encode("utf-8")
        sealed = xmltodict.parse(self._crypto.encrypt_message(xml, nonce, timestamp))["xml"]
        query.update({"encrypt_type": "aes", "msg_signature": sealed["MsgSignature"]})
        body = (f"<xml><ToUserName>{_cdata(self.account)}</ToUserName>"
                f"<Encrypt>{_cdata(sealed['Encrypt'])}</Encrypt></xml>")
        return query, body.encode("utf-8")

    # ------------------------------------------------------------ delivering

    async def push(self, xml: str, tries: int = WECHAT_TRIES, timeout: float = WECHAT_TIMEOUT) -> Delivery:
        """Posts like WeChat: each try waits ``timeout`` s, then the same push is sent again."""
        await self._report_interaction(xml)
        started = time.monotonic()
        for attempt in range(1, tries + 1):
            query, body = self.signed(xml)
            try:
                async with self.session.post(self.webhook_url, params=query, data=body,
                                             timeout=aiohttp.ClientTimeout(total=timeout),
                                             headers={"Content-Type": "text/xml"}) as response:
                    text = await response.text()
                    reply = self.open_reply(text) if response.status == 200 else None
                    return Delivery(response.status, text, getattr(reply, "content", None), attempt,
                                    time.monotonic() - started, reply_type=getattr(reply, "type", None))
            except asyncio.TimeoutError:
                continue
        return Delivery(0, "", None, tries, time.monotonic() - started, timed_out=True)

    async def post_raw(self, query: Dict[str, str], body: bytes) -> Tuple[int, str]:
        async with self.session.post(self.webhook_url, params=query, data=body) as response:
            return response.status, await response.text()

    def read_reply(self, body: str) -> Optional[str]:
        """The text of a passive reply (decrypted and signature-checked in safe mode)."""
        return getattr(self.open_reply(body), "content", None)

    def open_reply(self, body: str) -> Optional[BaseReply]:
        """wechatpy's object for a passive reply (decrypted and signature-checked in safe mode)."""
        if not body or body == "success":
            return None
        if self._crypto is not None and "<Encrypt>" in body:
            outer = xmltodict.parse(body)["xml"]
            body = self._crypto.decrypt_message(body, outer["MsgSignature"], outer["TimeStamp"], outer["Nonce"])
        return deserialize_reply(body)

    async def _report_interaction(self, xml: str) -> None:
        """Tells the fake WeChat API which quota window this push opens, as WeChat would know."""
        if self.fake_api_url is None:
            return
        message = xmltodict.parse(xml)["xml"]
        kind = message.get("MsgType")
        event = (message.get("Event") or "").lower()
        if kind == "event" and event not in ("click", "subscribe", "scan"):
            return
        async with self.session.post(self.fake_api_url + "_fake/interactions", json={
                "openid": message["FromUserName"], "kind": "event" if kind == "event" else "message"}) as response:
            response.raise_for_status()

    async def customer_messages(self, openid: str, after: int = 0, wait: float = 0) -> Tuple[List[Dict[str, Any]], int]:
        """Customer-service texts the server sent to ``openid`` through the fake API."""
        if self.fake_api_url is None:
            return [], after
        async with self.session.get(self.fake_api_url + "_fake/messages", params={
                "openid": openid, "after": str(after), "wait": str(wait)},
                timeout=aiohttp.ClientTimeout(total=wait + 10)) as response:
            data = await response.json()
        messages = data["messages"]
        return messages, (messages[-1]["seq"] if messages else after)


HELP = """命令：/menu 看菜单  /click KEY 点菜单  /voice 文字 发语音（不带文字则为未识别）
      /image /location /link 发其他类型  /follow 重新关注  /unfollow 取消关注
      /kfclose 微信客服结束会话（HANDOFF_MODE=wechat）  /quit 退出
直接输入文字即发给公众号。"""


class Chat:
    """The terminal chat: one citizen talking to the running server through the real webhook."""

    def __init__(self, peer: WeChatPeer, openid: str, out: TextIO = sys.stdout):
        self._peer = peer
        self._openid = openid
        self._out = out
        self._last_seq = 0

    def say(self, line: str) -> None:
        self._out.write(line + "\n")
        self._out.flush()

    async def run(self, follow: bool = True) -> int:
        try:
            _, self._last_seq = await self._peer.customer_messages(self._openid)
        except aiohttp.ClientError:
            self.say(f"（提示：连不上假微信接口 {self._peer.fake_api_url}，客服消息将不会显示）")
        watcher = asyncio.get_running_loop().create_task(self._watch())
        self.say(f"模拟微信用户 {self._openid}，消息发往 {self._peer.webhook_url}\n{HELP}")
        try:
            if follow:
                await self._send(self._peer.event(self._openid, "subscribe"))
            while True:
                line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
                if not line:
                    break
                line = line.strip()
                if line in ("/quit", "/exit"):
                    break
                if line:
                    await self._command(line)
        finally:
            watcher.cancel()
        return 0

    async def _command(self, line: str) -> None:
        peer, openid = self._peer, self._openid
        command, _, rest = line.partition(" ")
        if command == "/help":
            self.say(HELP)
        elif command == "/menu":
            from connectors.wechat.menu import Menu
            for button in Menu.load().buttons:
                subs = button.get("sub_button") or [button]
                self.say(f"[{button['name']}] " + "  ".join(f"{s['name']}=/click {s.get('key', '')}" for s in subs))
        elif command == "/click":
            await self._send(peer.event(openid, "CLICK", rest.strip()))
        elif command == "/voice":
            await self._send(peer.voice(openid, rest.strip() or None))
        elif command == "/image":
            await self._send(peer.message_xml(openid, "image", {"PicUrl": "http://127.0.0.1/p.jpg", "MediaId": "m1"}))
        elif command == "/location":
            await self._send(peer.message_xml(openid, "location", {
                "Location_X": 23.134521, "Location_Y": 113.358803, "Scale": 20, "Label": "市民服务中心"}))
        elif command == "/link":
            await self._send(peer.message_xml(openid, "link", {
                "Title": "链接", "Description": "", "Url": "http://127.0.0.1/"}))
        elif command == "/follow":
            await self._send(peer.event(openid, "subscribe"))
        elif command == "/unfollow":
            await self._send(peer.event(openid, "unsubscribe"))
        elif command == "/kfclose":
            await self._send(peer.kf_close_session(openid))
        else:
            await self._send(peer.text(openid, line))

    async def _send(self, xml: str) -> None:
        try:
            delivery = await self._peer.push(xml)
        except aiohttp.ClientError as error:
            self.say(f"（发送失败：{error}。服务器在运行吗？）")
            return
        if delivery.timed_out:
            self.say("（服务器 3 次都没在 5 秒内应答：用户会看到“该公众号暂时无法提供服务，请稍后再试”）")
        elif delivery.status != 200:
            self.say(f"（服务器应答 HTTP {delivery.status}：{escape(delivery.body[:200])}）")
        elif delivery.reply:
            self.say(f"公众号：{delivery.reply}")
        elif delivery.reply_type == "transfer_customer_service":
            self.say("（这条消息已转给微信客服：客服在微信的客服工具里回复；/kfclose 结束客服会话）")

    async def _watch(self) -> None:
        while True:
            try:
                messages, self._last_seq = await self._peer.customer_messages(self._openid, self._last_seq, wait=20)
            except (aiohttp.ClientError, asyncio.TimeoutError):
                await asyncio.sleep(2)
                continue
            for message in messages:
                kind = "模板消息" if message.get("kind") == "template" else "客服消息"
                self.say(f"公众号（{kind}）：{message['text']}")


def endpoints(args: argparse.Namespace, env: Mapping[str, str]) -> Tuple[str, str]:
    """(webhook, fake WeChat API) of the running server: the flags, else the port settings of ``govbot up``."""
    url = args.url or f"http://127.0.0.1:{env.get('RASA_PORT') or '5005'}/webhooks/wechat/webhook"
    fake_api = (args.fake_api or env.get("WECHAT_API_BASE_URL")
                or f"http://127.0.0.1:{env.get('WECHAT_FAKE_PORT') or FAKE_PORT}/")
    return url, fake_api


def run(args: argparse.Namespace) -> int:
    """``govbot chat [--aes]``: chat with the running server the way WeChat would deliver it."""
    url, fake_api = endpoints(args, os.environ)
    aes_key = (os.environ.get("WECHAT_ENCODING_AES_KEY") or DEMO_AES_KEY) if args.aes else None
    peer = WeChatPeer(url, os.environ.get("WECHAT_TOKEN") or DEMO_TOKEN, os.environ.get("WECHAT_APP_ID") or DEMO_APP_ID,
                      aes_key, account=os.environ.get("WECHAT_ACCOUNT_ID") or DEMO_ACCOUNT, fake_api_url=fake_api)
    openid = args.openid or "o" + secrets.token_hex(14)[:27]

    async def chat() -> int:
        try:
            return await Chat(peer, openid).run(follow=not args.no_follow)
        finally:
            await peer.close()

    try:
        return asyncio.run(chat())
    except KeyboardInterrupt:
        return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="govbot chat", description="本地微信模拟器（终端聊天）")
    configure_chat(parser)
    return run(parser.parse_args(argv))
