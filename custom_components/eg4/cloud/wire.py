"""The portal's wire format: an answer's bytes to a JSON object, or a typed error (pure).

Whatever the bytes hold, only :class:`NotJsonError` (no JSON at all: an HTML page, an empty
body) or the client's typed errors leave here. Integers too long to be a reading and the
non-standard ``NaN``/``Infinity`` literals become ``None``: the field is unknown, the rest of
the answer stands.
"""

from __future__ import annotations

import json
from typing import Any

from .errors import Eg4ApiError

MAX_BODY_BYTES = 2 * 1024 * 1024  # the largest answer read (a full account is ~100 KB)
_MAX_INT_DIGITS = 30
_JSON_START = frozenset(b'{["-0123456789tfnNI')
BAD_RESPONSE = "BAD_RESPONSE"


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
