"""WeChat official-account connector: Rasa channel ``wechat``, async WeChat API client, tools.

Enable it in ``credentials.yml`` as ``connectors.wechat.channel.WeChatInput:``; settings come
from the environment (``docs/CONTRACT.md`` §4). Modules, by concern:

- ``channel``: the Rasa input channel (webhook, health, portal events).
- ``settings``: the channel's settings, checked at start-up (personal data in logs: ``govbot.logmask``).
- ``signing``, ``envelope``, ``inbound``, ``replay``: signature, XML/AES envelope, message types
  (nested or repeated fields refused, ToUserName checked), the nonce cache against replays.
- ``storage``, ``scripts``: the one storage (Redis commands and Lua scripts), on Redis or, without
  ``REDIS_URL``, run in-process by fakeredis.
- ``api``, ``errors``: the async WeChat API client and its typed errors.
- ``turns``, ``outbox``, ``text``, ``output``: exactly-once turns, passive reply or
  customer-service push, quota, long-text splitting.
- ``menu``, ``templates``, ``notify``, ``admin``: menu, template messages, portal webhook, CLI.

Tooling, not product: ``testing/`` holds the local WeChat stand-ins (the fake WeChat API, the
simulated citizen ``WeChatPeer``, the dev server with ``EchoAgent``) for the demo, the tests and
the load benchmark. No product module imports it; only the commands that start the local demo do
(``tests/test_import_graph.py`` checks both).
"""
