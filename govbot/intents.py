"""Which intents are government business: the one list the product and the NLU benchmark share.

A message read as one of these starts or feeds a procedure (a guide answer, a booking, a lookup
in the portal, a complaint or a rating written to the portal, a handoff to staff). When a
message about something else (the weather, a recipe, a football score) is read as one of
them, the citizen gets a government answer to a question never asked: that is the
out-of-domain error ``benchmarks/nlu_eval.py`` counts (issue 11: at most 5 % per held-out
public corpus).

Not government:

* small talk and its answers: greet, goodbye, thank, affirm, deny, bot_challenge;
* ``out_of_scope`` and ``nlu_fallback`` (the FallbackClassifier's rejection): these are the
  right readings of an out-of-domain message;
* ``inform``: a bare value (a number, a date, a name). Outside a form it goes to
  ``action_handle_reply``, which only answers an offer or a list the bot made just before and
  otherwise says it did not understand; a value is read for what it is only inside a form the
  citizen opened with a government intent. So taking chit-chat for ``inform`` starts nothing.
  The benchmark still lists how many out-of-domain messages each intent took, ``inform`` too.

``rate_service`` is government: it writes a rating of the service to the portal.

The domain gate (``govbot.domain_gate``) checks exactly these intents: an everyday request the
classifier gives one of them becomes ``out_of_scope``.
"""
from __future__ import annotations

GOVERNMENT_INTENTS = frozenset({
    "ask_guide",
    "book_appointment",
    "cancel_appointment",
    "query_appointment",
    "check_status",
    "complain",
    "rate_service",
    "human_handoff",
})
