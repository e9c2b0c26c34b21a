"""The portal's wire format: an answer's bytes to a JSON object, or a typed error (pure).

Whatever the bytes hold, only :class:`NotJsonError` (no JSON at all: an HTML page, an empty
body) or the client's typed errors leave here. Integers too long to be a reading and the
non-standard ``NaN``/``Infinity`` literals become ``None``: the field is unknown, the rest of
the answer stands.
"""

from __future__ import annotations

import json
import logging
import re
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp

from .errors import (
    Eg4ApiError,
    Eg4AuthError,
    Eg4DeviceRejectedError,
    Eg4OutageError,
    Eg4PermissionError,
    Eg4TransientError,
)
from .parse import flag, integer, text

_LOGGER = logging.getLogger(__name__)

AUTH_CODES = frozenset({"LOGIN_ERROR_DISMATCH", "LOGIN_ERROR", "ACCOUNT_PASSWORD_ERROR"})
PERMISSION_CODES = frozenset({"APIBLOCKED"})
TRANSIENT_CODES = frozenset(
    {"DATAFRAME_TIMEOUT", "TIMEOUT", "BUSY", "COMMUNICATION_ERROR", "DEVICE_BUSY"}
)
MAX_BODY_BYTES = 2 * 1024 * 1024  # the largest answer read (a full account is ~100 KB)
_MAX_INT_DIGITS = 30
_JSON_START = frozenset(b'{["-0123456789tfnNI')
BAD_RESPONSE = "BAD_RESPONSE"
# How long to hold every request after the portal asked to wait: its Retry-After, bounded;
# the default when it named no (readable) time.
RETRY_AFTER_MIN_S = 1.0
RETRY_AFTER_DEFAULT_S = 60.0
RETRY_AFTER_MAX_S = 3600.0
_DELTA_SECONDS = re.compile(r"\d{1,10}")


class NotJsonError(Exception):
    """The body is no JSON at all: an HTML page (login or maintenance), text or nothing."""


def _int(digits: str) -> int | None:
    return int(digits) if len(digits) <= _MAX_INT_DIGITS else None


def _constant(_name: str) -> None:
    return None


def bad_response(path: str | None, what: str) -> Eg4ApiError:
    """The error for an answer that cannot be read."""
    return Eg4ApiError(f"{what} ({path})", code=BAD_RESPONSE, path=path)


def load_json(raw: bytes, path: str | None = None) -> dict[str, Any]:
    """The JSON object of a body; NotJsonError when it is no JSON, Eg4ApiError when broken."""
    start = raw[:256].lstrip(b" \t\r\n\xef\xbb\xbf")[:1]
    if not start or start[0] not in _JSON_START:
        raise NotJsonError
    try:
        body = json.loads(raw, parse_int=_int, parse_constant=_constant)
    except (ValueError, RecursionError):  # truncated, not UTF-8, nested beyond the stack
        raise bad_response(path, "unreadable JSON") from None
    if not isinstance(body, dict):
        raise bad_response(path, "unexpected response shape")
    return body


def retry_after_seconds(header: str | None, now: float) -> float | None:
    """Seconds a ``Retry-After`` value asks for (delta-seconds or HTTP date); None if unreadable.

    ``now`` is the wall clock (POSIX seconds) an HTTP date is measured from; a date already
    passed asks for 0 s.
    """
    if header is None:
        return None
    value = header.strip()
    if _DELTA_SECONDS.fullmatch(value):
        return float(int(value))
    if not value or len(value) > 64:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # an HTTP date is always GMT
        return None
    return max(0.0, round(when.timestamp() - now, 3))


def hold_seconds(header: str | None, now: float) -> float:
    """How long to hold requests after a ``Retry-After`` (bounded; a default when unreadable)."""
    asked = retry_after_seconds(header, now)
    if asked is None:
        return RETRY_AFTER_DEFAULT_S
    return min(RETRY_AFTER_MAX_S, max(RETRY_AFTER_MIN_S, asked))


class SessionRefusedError(Exception):
    """The portal no longer accepts our session (internal: never escapes the client)."""

    def __init__(self, generation: int, *, page: bool) -> None:
        """Remember which login's session was refused, and how (a page, or HTTP 401)."""
        super().__init__("session expired")
        self.generation = generation
        self.page = page  # a page instead of JSON (else HTTP 401)


def outage(path: str, refused: SessionRefusedError) -> Eg4OutageError:
    """A session refused right after a successful login: the portal's trouble, not ours."""
    return Eg4OutageError(
        f"the portal refused a session it had just issued ({path})",
        code="NOT_JSON" if refused.page else "HTTP_401",
        path=path,
    )


def decode(path: str, status: int, raw: bytes, generation: int, *, login: bool) -> dict[str, Any]:
    """Status and body -> JSON object, a typed error, or the internal expiry signal."""
    if status == 401:
        if login:
            raise Eg4AuthError("the portal refused the login (HTTP 401)", code="HTTP_401")
        raise SessionRefusedError(generation, page=False)
    if status >= 500 or status == 429:
        raise Eg4TransientError(f"HTTP {status} ({path})", code=f"HTTP_{status}", path=path)
    if status >= 400:
        raise Eg4ApiError(f"HTTP {status} ({path})", code=f"HTTP_{status}", path=path)
    try:
        return load_json(raw, path)
    except NotJsonError:  # an HTML page (login or maintenance) or nothing
        if login:
            raise bad_response(path, "login answered with a non-JSON page") from None
        raise SessionRefusedError(generation, page=True) from None


def check(path: str, body: dict[str, Any], *, write: bool, login: bool) -> dict[str, Any]:
    """Raise the typed error an unsuccessful envelope stands for; else return the body."""
    if flag(body.get("success")) is not False:
        return body
    code = text(body.get("message")) or text(body.get("msg")) or "UNKNOWN"
    upper = code.upper()
    _LOGGER.debug("%s: portal refused: %s", path, code)
    if upper in AUTH_CODES or integer(body.get("msgCode")) == 101:
        raise Eg4AuthError(f"the portal refused the credentials ({code})", code=code, path=path)
    if upper in PERMISSION_CODES:
        raise Eg4PermissionError(f"not permitted: {code} ({path})", code=code, path=path)
    if upper in TRANSIENT_CODES:
        raise Eg4TransientError(f"portal busy: {code} ({path})", code=code, path=path)
    if login:
        if any(word in upper for word in ("LOGIN", "PASSWORD", "ACCOUNT", "USER")):
            raise Eg4AuthError(f"login refused ({code})", code=code, path=path)
        raise Eg4ApiError(f"login failed ({code})", code=code, path=path)
    if write:
        raise Eg4DeviceRejectedError(code, path=path)
    raise Eg4ApiError(f"portal refused: {code} ({path})", code=code, path=path)


async def read_capped(resp: aiohttp.ClientResponse, path: str) -> bytes:
    """The body, refused unread beyond :data:`MAX_BODY_BYTES`."""
    if (resp.content_length or 0) > MAX_BODY_BYTES:
        raise bad_response(path, "answer too large")
    chunks: list[bytes] = []
    size = 0
    async for chunk in resp.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise bad_response(path, "answer too large")
        chunks.append(chunk)
    return b"".join(chunks)
