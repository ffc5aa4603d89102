"""Rasa custom actions, one module per feature; every portal call goes through ``GovApi``."""
