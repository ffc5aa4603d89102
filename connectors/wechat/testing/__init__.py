"""Local stand-ins for WeChat's side, apart from the product: for the demo, tests and benchmarks.

- ``fake_api``: the fake WeChat API server (tokens, customer-service and template messages, menu),
  with the demo account's credentials (``govbot fake-wechat``).
- ``simulator``: ``WeChatPeer``, a citizen's WeChat client built on wechatpy (signs, encrypts and
  posts pushes as WeChat does), and the terminal chat (``govbot chat``).
- ``devserver``: Rasa's own server with the channel and ``EchoAgent`` (no trained model), for the
  connector tests and the load benchmark.
"""
