"""异步微信服务端 API 客户端（aiohttp）：稳定版 access_token、客服消息、模板消息、自定义菜单。

wechatpy 自带的客户端基于 requests，会阻塞事件循环，所以这里只借用它的协议知识，HTTP 用 aiohttp。

- 获取稳定版接口调用凭据：
  https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/getStableAccessToken.html
- 客服消息：https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Service_Center_messages.html
- 模板消息：https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Template_Message_Interface.html
- 自定义菜单：https://developers.weixin.qq.com/doc/offiaccount/Custom_Menus/Creating_Custom-Defined_Menu.html

access_token 缓存在共享存储（Redis）里，所有进程共用；临近过期时由持有短租约的一个进程刷新，
其他进程继续用旧令牌，不会一齐去抢（no stampede）。接口返回 40001 / 40014 / 42001 时丢弃该令牌、
刷新并只重试一次。

失败分三种（``outbox`` 据此决定能否重发）：微信返回了 errcode（没有执行）；请求没有到达微信
（连接被拒、DNS、连接超时、拿不到令牌：``WeChatUnreachable``，没有执行）；请求已发出但应答丢了
（超时、连接中断、5xx、非 JSON：``OutcomeUnknown``，可能已经执行）。
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Dict, Optional

import aiohttp

from connectors.wechat.errors import (
    TOKEN_ERRORS,
    OutcomeUnknown,
    TokenInvalidError,
    WeChatAPIError,
    WeChatUnavailable,
    WeChatUnreachable,
    error_for,
)
from connectors.wechat.settings import WeChatSettings
from connectors.wechat.storage import Storage
from govbot.logmask import mask_openid

logger = logging.getLogger(__name__)

REFRESH_AHEAD = 300.0  # refresh when less than this many seconds are left
LEASE = 10.0  # one process refreshes at a time; others wait at most this long
CONNECT_TIMEOUT = 2.0  # below the total timeout, so that a connect stall is told apart from a lost answer


@dataclass(frozen=True)
class CachedToken:
    token: str
    expires_at: float
    refresh_after: float
    raw: str

    @classmethod
    def parse(cls, raw: Optional[str]) -> Optional["CachedToken"]:
        if not raw:
            return None
        try:
            data = json.loads(raw)
            return cls(str(data["token"]), float(data["expires_at"]), float(data["refresh_after"]), raw)
        except (ValueError, KeyError, TypeError):
            return None


class WeChatClient:
    """One client per process serves the channel, notifications and (later) the console."""

    def __init__(self, app_id: str, app_secret: str, base_url: str, storage: Storage, *,
                 session: Optional[aiohttp.ClientSession] = None, timeout: float = 5.0,
                 clock: Callable[[], float] = time.time, refresh_ahead: float = REFRESH_AHEAD,
                 lease: float = LEASE):
        self._app_id = app_id
        self._app_secret = app_secret
        self._base_url = base_url if base_url.endswith("/") else base_url + "/"
        self._storage = storage
        self._session = session
        self._own_session = session is None
        self._timeout = aiohttp.ClientTimeout(total=timeout, connect=min(CONNECT_TIMEOUT, timeout / 2))
        self._clock = clock
        self._refresh_ahead = refresh_ahead
        self._lease = lease
        self._owner = uuid.uuid4().hex
        self._token_key = f"token:{app_id}"
        self._lease_key = f"token-lease:{app_id}"

    @classmethod
    def from_settings(cls, settings: WeChatSettings, storage: Storage,
                      session: Optional[aiohttp.ClientSession] = None) -> "WeChatClient":
        return cls(settings.app_id, settings.app_secret, settings.api_base_url, storage,
                   session=session, timeout=settings.api_timeout)

    async def close(self) -> None:
        if self._own_session and self._session is not None:
            await self._session.close()
            self._session = None

    # ---------------------------------------------------------------- API calls

    async def send_text(self, openid: str, text: str, kf_account: Optional[str] = None) -> None:
        """客服接口发送文本消息（受 48 小时与条数限制，见 ``outbox``）；``kf_account``: 以该客服帐号发送。"""
        body: Dict[str, Any] = {"touser": openid, "msgtype": "text", "text": {"content": text}}
        if kf_account:
            body["customservice"] = {"kf_account": kf_account}
        await self.call("POST", "cgi-bin/message/custom/send", body)
        logger.info("customer-service message sent to %s (%d chars)", mask_openid(openid), len(text))

    async def typing(self, openid: str, typing: bool = True) -> None:
        """客服输入状态（"正在输入"，约 15 秒或下一条消息为止）。"""
        await self.call("POST", "cgi-bin/message/custom/typing",
                        {"touser": openid, "command": "Typing" if typing else "CancelTyping"})

    async def send_template(self, openid: str, template_id: str, data: Dict[str, Dict[str, str]],
                            url: Optional[str] = None) -> Optional[int]:
        """发送模板消息；返回微信的 msgid。"""
        body: Dict[str, Any] = {"touser": openid, "template_id": template_id, "data": data}
        if url:
            body["url"] = url
        result = await self.call("POST", "cgi-bin/message/template/send", body)
        logger.info("template %s sent to %s", template_id, mask_openid(openid))
        return result.get("msgid")

    async def create_menu(self, menu: Dict[str, Any]) -> None:
        await self.call("POST", "cgi-bin/menu/create", menu)

    async def get_menu(self) -> Dict[str, Any]:
        return await self.call("GET", "cgi-bin/get_current_selfmenu_info")

    async def call(self, method: str, path: str, body: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        """Calls an API with the shared access token; refreshes and retries once on 40001/40014/42001."""
        token = await self._token_for(path)
        try:
            return await self._request(method, path, body, {"access_token": token})
        except TokenInvalidError as error:
            logger.warning("access token rejected (errcode %s) on %s: refreshing once", error.errcode, path)
            token = await self._token_for(path, rejected=token)
            return await self._request(method, path, body, {"access_token": token})

    async def _token_for(self, path: str, rejected: Optional[str] = None) -> str:
        """The token for a call to ``path``; without one the call itself is never made."""
        try:
            return await self.access_token(rejected)
        except OutcomeUnknown as error:  # unknown is the token request's outcome, not this call's
            raise WeChatUnreachable(f"no access token: {error.errmsg}", path) from error

    # ---------------------------------------------------------------- access token

    async def access_token(self, rejected: Optional[str] = None) -> str:
        """The shared token; ``rejected``: a token WeChat just refused, never to be returned again."""
        cached = CachedToken.parse(await self._storage.get(self._token_key))
        if cached is not None and rejected is not None and cached.token == rejected:
            await self._storage.delete_if_equals(self._token_key, cached.raw)
            cached = None
        now = self._clock()
        if cached is not None and now < cached.refresh_after:
            return cached.token
        if cached is not None and now < cached.expires_at:
            # Due for refresh but still valid: one lease holder refreshes, the others go on with it.
            if await self._storage.set(self._lease_key, self._owner, self._lease, nx=True):
                try:
                    fresh = CachedToken.parse(await self._storage.get(self._token_key))
                    if fresh is not None and fresh.raw != cached.raw and now < fresh.refresh_after:
                        return fresh.token  # the previous holder refreshed it since we looked
                    return (await self._refresh(previous=cached.token)).token
                except WeChatAPIError as error:
                    logger.warning("early token refresh failed (%s); the current token stays in use", error)
                    return cached.token
                finally:
                    await self._storage.delete_if_equals(self._lease_key, self._owner)
            return cached.token
        return await self._wait_for_token(rejected)

    async def _wait_for_token(self, rejected: Optional[str]) -> str:
        """No valid token: the lease holder fetches one; the others poll until it appears."""
        give_up = self._clock() + 3 * self._lease
        while True:
            if await self._storage.set(self._lease_key, self._owner, self._lease, nx=True):
                try:  # the previous holder may have stored one just before letting the lease go
                    return await self._valid_token(rejected) or (
                        await self._refresh(previous=rejected, force_if_same=rejected is not None)).token
                finally:
                    await self._storage.delete_if_equals(self._lease_key, self._owner)
            await asyncio.sleep(0.05)
            token = await self._valid_token(rejected)
            if token is not None:
                return token
            if self._clock() > give_up:
                raise WeChatUnavailable("timed out waiting for another process to fetch the access token")

    async def _valid_token(self, rejected: Optional[str]) -> Optional[str]:
        cached = CachedToken.parse(await self._storage.get(self._token_key))
        if cached is not None and cached.token != rejected and self._clock() < cached.expires_at:
            return cached.token
        return None

    async def _refresh(self, previous: Optional[str], force_if_same: bool = False) -> CachedToken:
        fetched = await self._fetch(force=False)
        if force_if_same and fetched[0] == previous:
            fetched = await self._fetch(force=True)
        token, expires_in = fetched
        now = self._clock()
        expires_at = now + max(expires_in - 30, 1)  # a margin for clock and network delay
        # stable_token keeps returning the same token while it is valid: then check again near expiry.
        refresh_after = (expires_at - 5 if token == previous
                         else max(now, expires_at - min(self._refresh_ahead, expires_in / 2)))
        raw = json.dumps({"token": token, "expires_at": expires_at, "refresh_after": refresh_after})
        await self._storage.set(self._token_key, raw, max(expires_at - now, 1))
        return CachedToken(token, expires_at, refresh_after, raw)

    async def _fetch(self, force: bool) -> tuple:
        result = await self._request("POST", "cgi-bin/stable_token", {
            "grant_type": "client_credential", "appid": self._app_id, "secret": self._app_secret,
            "force_refresh": force}, None)
        try:
            token, expires_in = str(result["access_token"]), int(result["expires_in"])
        except (KeyError, TypeError, ValueError):
            raise WeChatUnavailable("stable_token answered without access_token", "cgi-bin/stable_token") from None
        logger.info("fetched a new access token (expires in %ss, force_refresh=%s)", expires_in, force)
        return token, expires_in

    # ---------------------------------------------------------------- HTTP

    async def _request(self, method: str, path: str, body: Optional[Dict[str, Any]],
                       params: Optional[Dict[str, str]]) -> Dict[str, Any]:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        data = json.dumps(body, ensure_ascii=False).encode("utf-8") if body is not None else None
        headers = {"Content-Type": "application/json; charset=utf-8"} if data is not None else None
        try:
            async with self._session.request(method, self._base_url + path, params=params, data=data,
                                             headers=headers, timeout=self._timeout) as response:
                if response.status >= 500:
                    raise OutcomeUnknown(f"HTTP {response.status}", path)
                text = await response.text()
        except (aiohttp.ClientConnectorError, aiohttp.ServerTimeoutError) as error:
            # refused, DNS, unreachable, TLS handshake, or the connect timeout (``connect`` is set
            # and ``sock_read`` is not, so ServerTimeoutError comes from connecting only)
            raise WeChatUnreachable(f"{type(error).__name__}: {error}", path) from error
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            raise OutcomeUnknown(f"{type(error).__name__}: {error}", path) from error
        try:
            result = json.loads(text)
        except ValueError:
            raise OutcomeUnknown("answer is not JSON", path) from None
        if not isinstance(result, dict):
            raise OutcomeUnknown("answer is not a JSON object", path)
        errcode = result.get("errcode", 0)
        if errcode:
            refusal = error_for(int(errcode), str(result.get("errmsg", "")), path)
            if int(errcode) not in TOKEN_ERRORS:
                logger.warning("%s", refusal)
            raise refusal
        return result
