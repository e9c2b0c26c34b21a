"""The portal's quick charge and quick discharge tasks (pure, no I/O).

A quick charge is a task the portal runs on one inverter: ``quickCharge/start`` opens it
(``minute``: the portal ends it by itself after that many minutes, on newer firmware),
``quickCharge/stop`` closes it; ``quickDischarge/start`` / ``stop`` do the same for a quick
(forced) discharge. Whether a task is open is read from ``quickCharge/getStatusInfo``
(``hasUnclosedQuickChargeTask``, ``hasUnclosedQuickDischargeTask``): an acknowledged start is
not an open task, the status is the read-back.
"""

from __future__ import annotations

from typing import Any, Literal, NamedTuple

from ..model import SettingKey, SettingValue
from .parse import flag
from .wire import bad_response

QUICK_STATUS = "/WManage/web/config/quickCharge/getStatusInfo"
_PATHS: dict[SettingKey, str] = {
    SettingKey.QUICK_CHARGE: "/WManage/web/config/quickCharge",
    SettingKey.QUICK_DISCHARGE: "/WManage/web/config/quickDischarge",
}
_STATUS_FIELDS: dict[SettingKey, str] = {
    SettingKey.QUICK_CHARGE: "hasUnclosedQuickChargeTask",
    SettingKey.QUICK_DISCHARGE: "hasUnclosedQuickDischargeTask",
}
QUICK_KEYS = frozenset(_PATHS)
MAX_MINUTES = 1440  # the portal's longest quick charge


class QuickWrite(NamedTuple):
    """``quickCharge|quickDischarge/start|stop``: open or close one inverter's task."""

    kind: Literal["quick"]
    path: str
    minute: int | None  # a quick charge's own end (the portal's backstop); None: not sent


def quick_write(key: SettingKey, value: SettingValue, minute: int | None) -> QuickWrite:
    """The call that opens (1) or closes (0) the task of ``key``; ValueError otherwise."""
    base = _PATHS.get(key)
    if base is None or not isinstance(value, float) or value not in (0.0, 1.0):
        raise ValueError(f"{key.value} takes 1 (start) or 0 (stop)")
    if value == 0.0:
        return QuickWrite("quick", f"{base}/stop", None)
    if key is SettingKey.QUICK_DISCHARGE or minute is None:
        return QuickWrite("quick", f"{base}/start", None)  # (no end of its own)
    return QuickWrite("quick", f"{base}/start", max(1, min(MAX_MINUTES, minute)))


def quick_form(serial: str, write: QuickWrite) -> dict[str, str]:
    """The form of a start or stop call."""
    form = {"inverterSn": serial, "clientType": "WEB"}
    if write.minute is not None:
        form["minute"] = str(write.minute)
    return form


def quick_status(body: dict[str, Any]) -> dict[SettingKey, float]:
    """Each task's read-back, 1.0 open or 0.0 none; an answer without them is unreadable."""
    out: dict[SettingKey, float] = {}
    for key, name in _STATUS_FIELDS.items():
        value = flag(body.get(name))
        if value is not None:
            out[key] = 1.0 if value else 0.0
    if not out:
        raise bad_response(QUICK_STATUS, "no quick task status")
    return out
