"""What the booking form holds between messages: its slots, the helper slots it sets itself,
and the returning citizen's stored contact.

A returning citizen is offered the contact of the last booking as the portal shows it
(masked name and phone) together with the portal's handle for it; the booking then carries
the handle, so the bot never holds that full phone number (see ``stored_contact``).
"""
from __future__ import annotations

from typing import Dict, Optional, Tuple

from rasa_sdk import Tracker

from actions.common import SORRY_PORTAL_DOWN
from govbot.masking import mask_numbers

FORM_SLOTS = ["appt_item", "appt_hall", "appt_date", "appt_hour", "appt_name", "appt_phone", "appt_confirmed"]
HELPER_SLOTS = ("choice_kind", "choice_options", "appt_when")  # set by extraction, not asked by the form
CONTACT_OFFERED = "appt_contact"  # choice_kind while the last booking's contact is offered
CONTACT_DECLINED = "appt_contact_declined"  # choice_kind after 不是 to the offered contact
STORED_CONTACT = "stored:"  # appt_phone of a reused contact: "stored:<masked phone>:<portal handle>"
HUMAN_OFFER = "如需人工帮助，回复“转人工”。"


def stored_contact(masked_phone: str, handle: str) -> str:
    """The ``appt_phone`` value that stands for the portal's stored contact behind ``handle``."""
    return f"{STORED_CONTACT}{masked_phone}:{handle}"


def stored(appt_phone: Optional[str]) -> Optional[Tuple[str, str]]:
    """(masked phone, handle) when ``appt_phone`` is a stored contact, else None."""
    if not appt_phone or not appt_phone.startswith(STORED_CONTACT):
        return None
    masked, _, handle = appt_phone[len(STORED_CONTACT):].partition(":")
    return masked, handle


def shown_phone(appt_phone: str) -> str:
    found = stored(appt_phone)
    return found[0] if found else mask_numbers(appt_phone)


def contact_fields(name: str, appt_phone: str) -> Dict[str, str]:
    """What the booking request says about who comes: name and phone, or the portal's handle."""
    found = stored(appt_phone)
    return {"contact_handle": found[1]} if found else {"name": name, "phone": appt_phone}


def said_this_turn(tracker: Tracker, fragment: str) -> bool:
    """Whether the bot already said something containing ``fragment`` since the last message."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "bot" and fragment in (event.get("text") or ""):
            return True
    return False


def apologised_this_turn(tracker: Tracker) -> bool:
    """Whether the apology was already sent since the citizen's last message: a portal failure
    in the validation and again in the question after it says sorry once."""
    return said_this_turn(tracker, SORRY_PORTAL_DOWN)
