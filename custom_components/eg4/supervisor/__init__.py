"""The calibration charge inside Home Assistant (the pure decisions live in ``calibration``).

- ``core``: one entry's run — start, engage, judge every update, finish, stop and unload.
- ``revert``: putting the settings back — attempts, retries, late levers.
- ``plan_check``: pre-flight, plan and the action's answer.
- ``store``: the record, saved verified before the first write.
- ``notify``: events, the critical repair issue, notifications.
- ``drift_watch``: the drift figures and the drift repair issue.
"""

from __future__ import annotations

from .core import CalibrationSupervisor, signal_update
from .drift_watch import signal_drift
from .notify import EVENT_CALIBRATION
from .plan_check import limits_from, plan_response
from .removal import async_remove_record

__all__ = [
    "EVENT_CALIBRATION",
    "CalibrationSupervisor",
    "async_remove_record",
    "limits_from",
    "plan_response",
    "signal_drift",
    "signal_update",
]
