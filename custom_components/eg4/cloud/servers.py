"""The portal's servers, and how a server choice becomes a base URL (pure)."""

from __future__ import annotations

from urllib.parse import urlsplit

SERVERS: dict[str, str] = {
    "eg4": "https://monitor.eg4electronics.com",
    "us": "https://us.luxpowertek.com",
    "na": "https://na.luxpowertek.com",
    "eu": "https://eu.luxpowertek.com",
    "sea": "https://sea.luxpowertek.com",
    "af": "https://af.luxpowertek.com",
    "server": "https://server.luxpowertek.com",  # Luxpower China
}
DEFAULT_SERVER = "eg4"
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def resolve_base_url(server: str) -> str:
    """A region key of :data:`SERVERS` or an https URL (http only on loopback, for tests)."""
    candidate = SERVERS.get(server.strip().lower(), server.strip())
    parts = urlsplit(candidate)
    host = parts.hostname or ""
    if not host or parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError("server must be a region key or an https URL")
    if parts.scheme != "https" and not (parts.scheme == "http" and host in _LOOPBACK):
        raise ValueError("server must use https")
    return candidate.rstrip("/")
