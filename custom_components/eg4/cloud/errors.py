"""Typed errors of the EG4 cloud client.

Messages carry only the request path and the portal's error code: never a password, a cookie
or a form field.
"""

from __future__ import annotations


class Eg4CloudError(Exception):
    """Base class of every error the cloud client raises."""

    def __init__(self, message: str, *, code: str | None = None, path: str | None = None) -> None:
        """Store the portal's code (or an HTTP/network tag) and the request path."""
        super().__init__(message)
        self.code = code
        self.path = path


class Eg4AuthError(Eg4CloudError):
    """Bad credentials, or the session expired again right after a re-login."""


class Eg4PermissionError(Eg4CloudError):
    """The account may not do this (``apiBlocked``): not retried, not a credentials problem."""


class Eg4TransientError(Eg4CloudError):
    """The portal or its relay to the dongle was busy or timed out; worth trying again later."""


class Eg4ConnectionError(Eg4TransientError):
    """The portal could not be reached (network error or timeout) after every retry."""


class Eg4OutageError(Eg4TransientError):
    """The portal accepted the login but answers with a page instead of data (maintenance).

    Not retried within the call (each retry would log in again); the next poll tries again.
    """


class Eg4RateLimitedError(Eg4TransientError):
    """The portal asked to wait (HTTP 429, or 503 with ``Retry-After``) before asking again.

    ``retry_after`` is the number of seconds left; until then the client sends nothing.
    """

    def __init__(self, message: str, *, retry_after: float, code: str, path: str | None) -> None:
        """Keep the seconds left besides the code and path."""
        super().__init__(message, code=code, path=path)
        self.retry_after = retry_after


class Eg4DeviceRejectedError(Eg4CloudError):
    """The inverter (through the portal) refused a write; ``message`` is the portal's text."""

    def __init__(self, message: str, *, path: str | None = None) -> None:
        """Keep the portal's message both as the exception text and as ``code``."""
        super().__init__(message, code=message, path=path)
        self.message = message


class Eg4ApiError(Eg4CloudError):
    """Any other refusal or an unexpected response shape."""
