"""Reference government-service portal: catalog and guide search, halls and slots,
bookings, applications and their status, 好差评 ratings and complaints.

A real deployment replaces it by pointing ``PORTAL_URL`` at the real portal; nothing
outside ``portal/`` imports it except the CLI that starts it.
"""
