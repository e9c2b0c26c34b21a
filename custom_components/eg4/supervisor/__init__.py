"""The calibration charge inside Home Assistant (the pure decisions live in ``calibration``).

- ``core``: one entry's run — start, engage, judge every update, finish, stop and unload.
- ``revert``: putting the settings back — attempts, retries; ``late_watch``: a lever the
  inverters apply after its run ended is put back, and one they refuse stays known
  (``late_levers``) until it is.
- ``plan_check``: pre-flight and plan; ``answers``: what the actions answer, in words.
- ``store``: the record, saved verified before the first write.
- ``notify``: events, the critical repair issue, notifications; ``endings``: how a run
  ended, told (event, notification, logbook line); ``words``: the translated texts.
- ``drift_watch``: the drift figures and the drift repair issue.
- ``charge_to``: ``eg4.charge_to``, a second kind of supervised run (``chargeto``);
  ``quick``: ``eg4.quick_charge`` / ``eg4.forced_discharge``, a third (``quick``), told in
  ``quick_words``;
  ``release``: the bounded revert when the entry unloads or Home Assistant stops.
"""

from __future__ import annotations

from .answers import plan_response
from .charge_to import async_charge_to
from .core import CalibrationSupervisor
from .endings import EVENT_CALIBRATION_ENDED
from .notify import EVENT_CALIBRATION
from .plan_check import limits_from
from .removal import async_remove_record

__all__ = [
    "EVENT_CALIBRATION",
    "EVENT_CALIBRATION_ENDED",
    "CalibrationSupervisor",
    "async_charge_to",
    "async_remove_record",
    "limits_from",
    "plan_response",
]
