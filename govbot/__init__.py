"""The project's one command line: ``govbot up | portal | catalog | train | ...``."""
