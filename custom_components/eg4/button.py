"""Buttons: cancel the supervised run (a calibration or a charge) from the device page."""

from __future__ import annotations

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription

from .calibration.result import SUPERVISED_PHASES
from .entity import Eg4CalibrationEntity
from .platforms import entry_platform
from .services import async_require_admin

PARALLEL_UPDATES = 1

CANCEL_CALIBRATION = ButtonEntityDescription(
    key="cancel_calibration", translation_key="cancel_calibration"
)


async_setup_entry = entry_platform(
    lambda data: [CancelCalibrationButton(data.coordinator, CANCEL_CALIBRATION, data.supervisor)]
)


class CancelCalibrationButton(Eg4CalibrationEntity, ButtonEntity):
    """Does what ``eg4.cancel_calibration`` does: stop the run, revert, confirm by read-back.

    Available only while a run can be cancelled (engaging to verifying); the press answers
    once the settings read back as they were, and is for administrators as the action is.
    """

    @property
    def available(self) -> bool:
        """While a run is active and not already on its way out."""
        run = self._supervisor.run
        return run is not None and run.phase in SUPERVISED_PHASES

    async def async_press(self) -> None:
        """Cancel the run; refusals are the action's translated errors."""
        if self._context is not None:  # pressed through Home Assistant: by whom
            await async_require_admin(self.hass, self._context)
        await self._supervisor.async_cancel()
