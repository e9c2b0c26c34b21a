"""The portal's quick charge and quick discharge tasks, run on the twin's units.

``quickCharge/start`` opens a quick charge on one unit: the twin charges the bank from the
grid whatever the unit's priorities, until ``minute`` minutes have passed on the twin's clock
(the portal's default when none is sent) or ``quickCharge/stop``. ``quickDischarge/start`` opens
a quick discharge: the bank carries the loads and exports, until ``quickDischarge/stop``. One
task at a time per unit (a second is refused); a stop with no task open is acknowledged. A NAK
rule without a setting (``twin.faults``) refuses a start or a stop, as it does a stored
parameter's write.
``quickCharge/getStatusInfo`` reports both, as the real portal's fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .inverter import QuickTask
from .portal_params import ParamStore
from .twin import Twin

DEFAULT_MINUTES = 60  # the portal's default quick charge when no ``minute`` is sent
MAX_MINUTES = 1440
REFUSED = "QUICK_TASK_REFUSED"  # invented: the real portal's code is unknown
PATHS: dict[str, tuple[QuickTask, bool]] = {
    "/WManage/web/config/quickCharge/start": (QuickTask.CHARGE, True),
    "/WManage/web/config/quickCharge/stop": (QuickTask.CHARGE, False),
    "/WManage/web/config/quickDischarge/start": (QuickTask.DISCHARGE, True),
    "/WManage/web/config/quickDischarge/stop": (QuickTask.DISCHARGE, False),
}


@dataclass
class QuickTasks:
    """Every unit's quick task, on the twin's units; journalled like the parameter writes."""

    twin: Twin
    params: ParamStore
    next_id: int = 1
    ids: dict[int, int] = field(default_factory=dict)  # unit -> its open task's id

    def call(self, unit: int, path: str, minute_text: str | None) -> str | None:
        """Apply a start or stop call; None when accepted, else the portal's message."""
        task, start = PATHS[path]
        inverter = self.twin.inverter(unit)
        request = f"{path.rsplit('/', 2)[-2]}/{path.rsplit('/', 1)[-1]}"
        # NAK rules without a setting refuse these too (the task stays as it is)
        nak = self.twin.faults.nak_command(unit, inverter.settings)
        if nak is not None:
            self.params.journal(unit, request, nak)
            return REFUSED
        if not start:
            if inverter.quick is task:
                inverter.quick, inverter.quick_until_s = None, None
                self.ids.pop(unit, None)
            self.params.journal(unit, request, None)
            return None
        minutes: int | None = DEFAULT_MINUTES if task is QuickTask.CHARGE else None
        if minute_text is not None and task is QuickTask.CHARGE:
            minutes = _minutes(minute_text)
            if minutes is None:
                self.params.journal(unit, request, f"minute {minute_text!r} is not 1..1440")
                return REFUSED
        if inverter.quick is not None:
            self.params.journal(unit, request, f"a quick {inverter.quick.value} is open")
            return REFUSED
        inverter.quick = task
        clock = self.twin.clock_s
        inverter.quick_until_s = None if minutes is None else clock + minutes * 60.0
        self.ids[unit] = self.next_id
        self.next_id += 1
        self.params.journal(unit, f"{request} {minutes or ''}".strip(), None)
        return None

    def status(self, unit: int) -> dict[str, Any]:
        """The unit's ``getStatusInfo`` answer."""
        inverter = self.twin.inverter(unit)
        inverter.expire_quick(self.twin.clock_s)
        charging = inverter.quick is QuickTask.CHARGE
        until = inverter.quick_until_s
        remain = 0 if until is None or not charging else round(until - self.twin.clock_s)
        return {
            "success": True,
            "hasUnclosedQuickChargeTask": charging,
            "hasUnclosedQuickDischargeTask": inverter.quick is QuickTask.DISCHARGE,
            "remainTimeBeforeQuickChargeStop": max(0, remain),
            "unclosedQuickChargeTaskId": self.ids.get(unit, 0) if charging else 0,
            "unclosedQuickChargeTaskStatus": "CHARGING" if charging else "",
            "lowVoltProtect": False,
        }


def _minutes(text: str) -> int | None:
    try:
        value = int(text.strip())
    except ValueError:
        return None
    return value if 1 <= value <= MAX_MINUTES else None
