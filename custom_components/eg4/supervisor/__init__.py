"""The calibration charge inside Home Assistant (the pure decisions live in ``calibration``).

- ``core``: one entry's run — start, engage, judge every update, finish, stop and unload.
- ``revert``: putting the settings back — attempts, retries, late levers.
- ``plan_check``: pre-flight and plan; ``answers``: what the actions answer, in words.
- ``store``: the record, saved verified before the first write.
- ``notify``: events, the critical repair issue, notifications; ``endings``: how a run
  ended, told (event, notification, logbook line); ``words``: the translated texts.
- ``drift_watch``: the drift figures and the drift repair issue.
"""

from __future__ import annotations

from .answers import plan_response
from .core import CalibrationSupervisor
from .endings import EVENT_CALIBRATION_ENDED
from .notify import EVENT_CALIBRATION
from .plan_check import limits_from
from .removal import async_remove_record

__all__ = [
    "EVENT_CALIBRATION",
    "EVENT_CALIBRATION_ENDED",
    "CalibrationSupervisor",
    "async_remove_record",
    "limits_from",
    "plan_response",
]
