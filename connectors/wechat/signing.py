"""消息签名校验（接入验证与每条推送消息）。

微信服务器以 Token、timestamp、nonce（安全模式下再加 Encrypt 密文）字典序排序后拼接做 SHA1，
得到 ``signature`` / ``msg_signature``。官方说明：

- 接入概述（验证消息来自微信服务器）：
  https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Access_Overview.html
- 消息加解密说明（msg_signature）：
  https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Message_encryption_and_decryption_instructions.html

与 ``wechatpy.utils.check_signature`` 不同，这里用 ``hmac.compare_digest`` 做常量时间比较，
并拒绝时间戳超出窗口的请求，使截获的旧请求无法重放。
"""
from __future__ import annotations

import hashlib
import hmac
import time
from typing import Callable, Optional


class SignatureError(Exception):
    """签名缺失或不符：请求不是微信服务器发来的。"""


class StaleRequestError(SignatureError):
    """时间戳超出允许窗口：可能是重放的旧请求。"""


def signature_of(token: str, timestamp: str, nonce: str, *extra: str) -> str:
    """按官方算法计算签名：各参数字典序排序、拼接、SHA1，十六进制小写。"""
    parts = sorted([token, timestamp, nonce, *extra])
    return hashlib.sha1("".join(parts).encode("utf-8")).hexdigest()  # nosec B324  # SHA1 is what WeChat's signature prescribes


def is_ascii_number(value: str, max_digits: int) -> bool:
    """1 to ``max_digits`` ASCII digits: ``str.isdigit`` alone also accepts "²" or "١", which
    ``int()`` then refuses (and ``int()`` of over 4,300 digits raises too)."""
    return 0 < len(value) <= max_digits and value.isascii() and value.isdigit()


def verify(token: str, signature: Optional[str], timestamp: Optional[str], nonce: Optional[str],
           *extra: str, window: int = 300, now: Callable[[], float] = time.time) -> None:
    """校验签名与时间戳，不通过则抛出 :class:`SignatureError`。"""
    if not signature or not timestamp or not nonce:
        raise SignatureError("signature, timestamp and nonce are required")
    if not is_ascii_number(timestamp, 12):
        raise SignatureError("timestamp must be digits")
    expected = signature_of(token, timestamp, nonce, *extra)
    if not hmac.compare_digest(expected.encode("ascii"), signature.strip().lower().encode("utf-8", "replace")):
        raise SignatureError("signature mismatch")
    if abs(now() - int(timestamp)) > window:
        raise StaleRequestError(f"timestamp outside the {window}s window")
