"""WeChat official-account connector: Rasa channel ``wechat``, async WeChat API client, tools.

Enable it in ``credentials.yml`` as ``connectors.wechat.channel.WeChatInput:``; settings come
from the environment (``docs/CONTRACT.md`` §4). Modules, by concern:

- ``channel``: the Rasa input channel (webhook, health, portal events).
- ``settings``, ``masking``: the channel's settings, checked at start-up; personal data masked in logs.
- ``signing``, ``envelope``, ``inbound``, ``replay``: signature, XML/AES envelope, message types
  (nested or repeated fields refused, ToUserName checked), the nonce cache against replays.
- ``storage``, ``redis_storage``: the one storage interface; Redis, or in-process without ``REDIS_URL``.
- ``api``, ``errors``: the async WeChat API client and its typed errors.
- ``turns``, ``outbox``, ``text``, ``output``: exactly-once turns, passive reply or
  customer-service push, quota, long-text splitting.
- ``menu``, ``templates``, ``notify``, ``admin``: menu, template messages, portal webhook, CLI.
- ``fake_api``, ``simulator``, ``devserver``: local WeChat stand-ins for chat, tests and load
  (``govbot fake-wechat``, ``govbot chat``, the benchmark's server).
"""
