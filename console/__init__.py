"""The staff console's durable core: staff take over a citizen's conversation and give it back.

Modules, by concern:

- ``settings``: the console's settings (``CONSOLE_*``), read once at start-up.
- ``tables``, ``db``, ``migrations/``: its own SQL tables and Alembic migrations (version table
  ``console_alembic_version``, so it may share a database with the portal).
- ``handoff``: the one transition table of a handed-over conversation (bot → waiting →
  with_staff → bot / closed / ticket).
- ``sessions``: those transitions run on the database, atomically, each with its audit row;
  ``messages``: the conversation's messages, in order, durable.
- ``hours``: staff hours (holiday- and 调休-aware, China time); ``delivery``: whether a staff
  reply can still reach the citizen (WeChat's 48-hour window and quota, the connector's rule).
- ``staff``: accounts and passwords (argon2id); ``audit``: the log of every staff action;
  ``cli``: ``govbot console add-staff``; ``demo``: the demo supervisor of ``govbot up``.
- ``escalation``: a citizen's request for a person opened, with the queue and the expected wait;
  ``rasa``: handing a conversation back to the bot, and what the citizen and the bot said before
  the handoff (Rasa's HTTP API).

The staff's web app is ``console.web`` (``create_app(settings, sender)``, ``govbot console serve``);
its pages read and move conversations only through the modules above.

How the rest plugs in (web pages, live updates, the WeChat wiring), all through ``Sessions``,
``Transcripts`` and ``StaffAccounts`` on one engine (``db.create_engine`` + ``db.migrate``):

- ``action_handoff`` / the channel: ``Sessions.open(channel, openid, reason, item)`` gives a
  waiting session, or outside staff hours a ticket (``Sessions.tickets``: its due day, for "您的
  留言将在…处理"; ``StaffHours.next_opening`` says when before asking).
- While ``Sessions.active(channel, openid)`` is not None the bot stays silent and each citizen
  message goes to ``Transcripts.add(id, Direction.CITIZEN, kind, text, media_id)``.
- Staff: ``StaffAccounts.verify`` at sign-in; ``claim``, ``release``, ``transfer``, ``close``,
  ``hand_back`` (each raises a ``handoff.HandoffError`` and changes nothing when refused); a reply
  is ``Sessions.reply`` (stored, audited, refused with ``Undeliverable`` outside WeChat's
  window), then sent through ``connectors``' output code; ``Sessions.delivery`` is what the
  conversation view shows (time and messages left).
- The queue is ``Sessions.in_state(State.WAITING)``; the activity log is ``audit.entries``.
- ``action_handoff`` reaches ``Sessions.open`` through ``escalation.Escalations`` (handed to the
  actions by the action server); the channel stores messages through ``connectors.wechat.desk``.
- The WeChat wiring implements ``console.web.sender.ReplySender`` (``connectors.wechat.staff.
  ChannelSender``: the channel's own output on the Rasa server) and ``govbot console serve`` hands
  it to ``create_app``; hand back / close resume the bot through ``rasa.RasaConversations``. The
  console notices the channel's new rows itself (``console.web.feed`` polls the tables).

The console reaches the portal over HTTP only and never builds WeChat calls itself.
"""
