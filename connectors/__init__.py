"""Messaging-platform connectors of the assistant (the WeChat protocol lives only here)."""
