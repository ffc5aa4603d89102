"""微信接口的全局返回码，转成带 ``errcode`` / ``errmsg`` 的类型化异常。

全局返回码说明：https://developers.weixin.qq.com/doc/offiaccount/Getting_Started/Global_Return_Code.html

调用方按类型处理，不再比较数字：令牌失效就刷新重试一次，客服消息超出时限或次数就留待用户下次
发消息时补发，其余错误记录日志。
"""
from __future__ import annotations

from typing import Dict, Optional, Type

from wechatpy.constants import WeChatErrorCode as Code

# 凭证无效 / 不合法的 access_token / access_token 超时
TOKEN_ERRORS = frozenset({Code.INVALID_CREDENTIAL, Code.INVALID_ACCESS_TOKEN, Code.EXPIRED_ACCESS_TOKEN})


class WeChatAPIError(Exception):
    """微信接口返回了非 0 的 errcode。"""

    def __init__(self, errcode: int, errmsg: str = "", path: str = ""):
        super().__init__(f"WeChat API {path or ''} errcode={errcode} errmsg={errmsg}".replace("  ", " "))
        self.errcode = errcode
        self.errmsg = errmsg
        self.path = path


class TokenInvalidError(WeChatAPIError):
    """40001 / 40014 / 42001：access_token 无效或过期，刷新后可重试。"""


class CredentialError(WeChatAPIError):
    """40013 不合法的 AppID / 40125 不合法的 AppSecret / 40164 调用 IP 不在白名单：需运维处理。"""


class ReplyWindowError(WeChatAPIError):
    """45015：回复时间超过限制（用户 48 小时内未互动），只能等用户再发消息。"""


class ReplyQuotaError(WeChatAPIError):
    """45047：客服接口下行条数超过上限，需等用户再次互动。"""


class RateLimitError(WeChatAPIError):
    """45009 接口调用超过日限额 / 45011 调用太频繁 / 45033 等频率限制。"""


class UserRefusedError(WeChatAPIError):
    """43004 用户未关注 / 43101 用户拒收订阅或模板消息。"""


class InvalidRequestError(WeChatAPIError):
    """参数错误：40003 openid、40037 模板、47003 模板参数、40016 菜单按钮等。"""


class WeChatUnavailable(WeChatAPIError):
    """-1 系统繁忙，或网络超时、连接失败、非 JSON 应答：稍后可重试。"""

    def __init__(self, errmsg: str, path: str = "", errcode: int = -1):
        super().__init__(errcode, errmsg, path)


class WeChatUnreachable(WeChatUnavailable):
    """请求没有到达微信：连接被拒、DNS 失败、连接超时，或拿不到 access_token。微信没有执行它，重发不会重复。"""


class OutcomeUnknown(WeChatUnavailable):
    """请求已发出，但没有可信的应答（超时、连接中断、HTTP 5xx、非 JSON）：微信可能已经执行了它。"""


# wechatpy names most codes (``WeChatErrorCode``); the few it lacks are numbers with their meaning.
IP_NOT_WHITELISTED = 40164
FREQUENCY_LIMITS = (45033, 45035)  # 接口调用过于频繁 variants wechatpy does not name

_BY_CODE: Dict[int, Type[WeChatAPIError]] = {
    **{code: TokenInvalidError for code in TOKEN_ERRORS},
    Code.MISSING_ACCESS_TOKEN: TokenInvalidError,
    **{code: CredentialError for code in (Code.INVALID_APP_ID, Code.INVALID_APP_SECRET, IP_NOT_WHITELISTED,
                                          Code.MISSING_APP_ID, Code.MISSING_APP_SECRET)},
    Code.OUT_OF_RESPONSE_TIME_LIMIT: ReplyWindowError,
    Code.OUT_OF_RESPONSE_COUNT_LIMIT: ReplyQuotaError,
    **{code: RateLimitError for code in (Code.OUT_OF_API_FREQ_LIMIT, Code.API_MINUTE_QUOTA_REACH_LIMIT,
                                         *FREQUENCY_LIMITS)},
    Code.REQUIRE_SUBSCRIBE: UserRefusedError,
    Code.USER_REFUSE_TO_ACCEPT_THE_MESSAGE: UserRefusedError,
    Code.SYSTEM_BUSY: WeChatUnavailable,
}


def error_for(errcode: int, errmsg: str, path: Optional[str] = None) -> WeChatAPIError:
    """The typed exception for a WeChat ``errcode``."""
    if errcode == Code.SYSTEM_BUSY:
        return WeChatUnavailable(errmsg or "system error", path or "")
    return _BY_CODE.get(errcode, InvalidRequestError)(errcode, errmsg, path or "")
