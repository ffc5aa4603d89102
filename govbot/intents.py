"""Which intents are government business: the ones that answer from the catalog or start or feed a
procedure (a guide answer, a booking, a cancellation, a lookup, a complaint, a handoff, a rating).

An everyday request taken for one of these starts something the citizen never asked for; small
talk (greet, thank, goodbye, affirm, deny, bot_challenge), ``inform`` (a bare value, read by the
forms and the reply action only for what it gives) and the fallbacks do not. The domain gate
(``govbot.domain_gate``) checks these intents only, and ``benchmarks/nlu_eval.py`` counts an
out-of-domain message as accepted when it gets one of them.
"""
from __future__ import annotations

GOVERNMENT_INTENTS = frozenset({
    "ask_guide", "book_appointment", "cancel_appointment", "query_appointment", "check_status",
    "complain", "human_handoff", "rate_service",
})
