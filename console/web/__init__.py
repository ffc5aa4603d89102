"""The staff console's web app: server-rendered Chinese pages over ``Sessions``, ``Transcripts``
and ``StaffAccounts``, live updates by Server-Sent Events.

- ``app``: ``create_app(settings, sender)``, the factory; ``server``: ``govbot console serve``.
- ``signins``: server-side sign-ins in SQL (cookie token, idle and absolute expiry, throttled
  failures); ``guard``: the middlewares (who is signed in, CSRF and same-origin on every POST,
  security headers); ``permits``: what each role may do.
- ``pages`` (GET) and ``moves`` (POST): the handlers; ``board``: the queries the pages show;
  ``viewer``: what an agent sees masked; ``quick_replies``: the editable canned replies.
- ``feed``: notices new rows written by any process (polling the tables' highest ids) and fans
  them out; ``live``: the SSE stream the pages listen to.
- ``sender``: the ``ReplySender`` interface the WeChat wiring implements.
"""
