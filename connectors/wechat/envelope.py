"""接收与被动回复的消息外壳：签名、XML 解析、明文/兼容/安全模式的加解密。

- 接收普通消息 / 事件推送（XML 格式）：
  https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_standard_messages.html
- 被动回复用户消息：
  https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Passive_user_reply_message.html
- 消息加解密说明（兼容模式与安全模式，URL 带 ``encrypt_type=aes`` 与 ``msg_signature``）：
  https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Message_encryption_and_decryption_instructions.html

XML 一律用 defusedxml 解析（禁止 DTD、实体展开与外部引用）；加解密使用 wechatpy 的
``WeChatCrypto``（AES-256-CBC，PKCS#7 填充，末尾校验 AppID）。配置了 EncodingAESKey 时默认只接受
加密消息（安全模式与兼容模式下微信都会带上 ``encrypt_type=aes``）；``WECHAT_ENCRYPT_MODE=compatible``
时也接受明文消息。加密的请求总是得到加密并签名的回复。
"""
from __future__ import annotations

import binascii
import struct
import time
import xml.etree.ElementTree as ElementTree  # nosec B405  # ParseError and Element only; parsing is defusedxml
from typing import Any, Callable, Dict, List, Mapping, NamedTuple, Optional, Union

import defusedxml
import defusedxml.ElementTree as SafeElementTree
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.replies import TextReply

from connectors.wechat import signing
from connectors.wechat.settings import WeChatSettings

XmlValue = Union[str, Dict[str, Any], List[Any]]
_DECRYPT_ERRORS = (InvalidSignatureException, InvalidAppIdException, ValueError, TypeError, struct.error,
                   IndexError, UnicodeDecodeError, binascii.Error)


class MalformedMessageError(Exception):
    """请求体不是合法的微信 XML 消息（或无法解密）：应答 400，不做任何处理。"""


def parse_xml(data: Union[bytes, str]) -> Dict[str, XmlValue]:
    """把 ``<xml>…</xml>`` 解析为字典（嵌套元素为字典，重复元素为列表）。

    顶层字段重复（两个 ``<Content>``、两个 ``<Encrypt>``）一律拒绝：微信从不这样发，而且哪一个
    算数是含糊的。顶层的嵌套元素留给确有结构的事件字段（如 ``ScanCodeInfo``）；连接器要当文字读的
    字段是否真是文字，由 ``inbound`` 检查。"""
    try:
        root = SafeElementTree.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ElementTree.ParseError, defusedxml.DefusedXmlException, ValueError) as error:
        raise MalformedMessageError(f"not well-formed XML: {type(error).__name__}") from None
    if root.tag != "xml":
        raise MalformedMessageError("the root element must be <xml>")
    tags = [child.tag for child in root]
    if len(set(tags)) != len(tags):
        raise MalformedMessageError("a top-level field is repeated")
    fields = _children(root)
    if not isinstance(fields, dict):
        raise MalformedMessageError("empty <xml>")
    return fields


def _children(element: ElementTree.Element) -> XmlValue:
    if len(element) == 0:
        return element.text or ""
    result: Dict[str, Any] = {}
    for child in element:
        value = _children(child)
        if child.tag in result:
            previous = result[child.tag]
            result[child.tag] = (previous if isinstance(previous, list) else [previous]) + [value]
        else:
            result[child.tag] = value
    return result


class Push(NamedTuple):
    """An opened push: its fields (parsed by defusedxml and checked), the same message as XML text
    for wechatpy's own parser (``inbound.to_message``), and whether it came encrypted."""
    fields: Dict[str, XmlValue]
    xml: str
    encrypted: bool


def _utf8(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedMessageError("the body is not UTF-8") from None


class Envelope:
    """Opens signed (and encrypted) pushes from WeChat and seals passive replies to them."""

    def __init__(self, settings: WeChatSettings, now: Callable[[], float] = time.time):
        self._settings = settings
        self._now = now
        self._crypto = (WeChatCrypto(settings.token, settings.encoding_aes_key, settings.app_id)
                        if settings.encoding_aes_key else None)

    def verify(self, query: Mapping[str, str]) -> None:
        """URL 上的 ``signature``（Token、timestamp、nonce）与时间窗口；不通过抛出 ``SignatureError``。"""
        self._verify(query)

    def verify_url(self, query: Mapping[str, str]) -> str:
        """接入验证（GET）：签名正确则原样返回 ``echostr``。"""
        self._verify(query)
        echostr = query.get("echostr")
        if not echostr:
            raise MalformedMessageError("echostr is required")
        return echostr

    def open(self, body: bytes, query: Mapping[str, str]) -> Push:
        """校验签名并解析（必要时解密）推送的消息。"""
        self._verify(query)
        outer = parse_xml(body)
        if query.get("encrypt_type", "raw").lower() != "aes":
            if self._crypto is not None and self._settings.encrypt_mode == "safe":
                raise signing.SignatureError("safe mode: plaintext messages are refused")
            return Push(outer, _utf8(body), False)
        if self._crypto is None:
            raise MalformedMessageError("encrypted message but no WECHAT_ENCODING_AES_KEY configured")
        encrypted = outer.get("Encrypt")
        if not isinstance(encrypted, str) or not encrypted:
            raise MalformedMessageError("<Encrypt> is missing")
        signing.verify(self._settings.token, query.get("msg_signature"), query.get("timestamp"),
                       query.get("nonce"), encrypted, window=self._settings.timestamp_window, now=self._now)
        try:
            plaintext = self._crypto.decrypt_message({"Encrypt": encrypted}, query["msg_signature"],
                                                     query["timestamp"], query["nonce"])
        except _DECRYPT_ERRORS as error:
            raise MalformedMessageError(f"cannot decrypt: {type(error).__name__}") from None
        return Push(parse_xml(plaintext), plaintext, True)

    def seal(self, reply_xml: str, nonce: str, encrypted: bool) -> str:
        """安全模式下加密并签名被动回复；明文模式原样返回。"""
        if not encrypted or self._crypto is None:
            return reply_xml
        return self._crypto.encrypt_message(reply_xml, nonce, str(int(self._now())))

    def _verify(self, query: Mapping[str, str]) -> None:
        signing.verify(self._settings.token, query.get("signature"), query.get("timestamp"), query.get("nonce"),
                       window=self._settings.timestamp_window, now=self._now)


def render_text_reply(openid: str, account: str, content: str, now: Optional[float] = None) -> str:
    """被动回复文本消息的 XML（``]]>`` 会被拆开，不能提前结束 CDATA）。"""
    safe = content.replace("]]>", "]]]]><![CDATA[>")
    return TextReply(source=account, target=openid, content=safe, time=int(now or time.time())).render()
