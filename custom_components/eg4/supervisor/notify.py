"""What the owner is told about a calibration: events, the critical repair, notifications."""

from __future__ import annotations

import logging

from homeassistant.components import persistent_notification
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from ..calibration import CalibrationRun
from ..const import DOMAIN

_LOGGER = logging.getLogger(__name__)

EVENT_CALIBRATION = "eg4_calibration"


class Notifier:
    """One entry's calibration messages."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Bind to an entry."""
        self.hass = hass
        self.entry_id = entry_id

    @property
    def revert_issue_id(self) -> str:
        """The critical 'settings not restored' repair issue of this entry."""
        return f"revert_failed_{self.entry_id}"

    @callback
    def fire(self, run: CalibrationRun, phase: str) -> None:
        """An ``eg4_calibration`` event (automations and the logbook follow these)."""
        self.hass.bus.async_fire(
            EVENT_CALIBRATION,
            {
                "config_entry_id": self.entry_id,
                "run_id": run.run_id,
                "phase": phase,
                "method": run.method.value,
                "reason": None if run.reason is None else run.reason.value,
                "detail": run.detail,
            },
        )

    @callback
    def settings_not_restored(self, detail: str, *, persistent: bool = True) -> None:
        """The critical repair issue and a notification: the bank may be on grid charge."""
        raise_revert_issue(self.hass, self.entry_id, detail, persistent=persistent)
        persistent_notification.async_create(
            self.hass,
            (
                "The EG4 calibration could not confirm that the everyday settings were "
                f"restored ({detail or 'no read-back'}). Check the inverters' output and "
                "charger priority now. Home Assistant keeps retrying while the entry is loaded."
            ),
            title="EG4 calibration: settings not restored",
            notification_id=f"{DOMAIN}_revert_{self.entry_id}",
        )

    @callback
    def lever_changed(self, run: CalibrationRun) -> None:
        """A held lever was changed outside eg4: the run stopped, that setting is left alone."""
        owners = ", ".join(sorted(key.value for key in run.owner_settings))
        _LOGGER.warning(
            "Calibration %s stopped: %s was changed outside eg4 (%s); putting the rest back",
            run.run_id,
            owners,
            run.detail,
        )
        rest = ", ".join(sorted({item.setting.value for item in run.restorable})) or "nothing"
        persistent_notification.async_create(
            self.hass,
            (
                "The EG4 calibration stopped: a setting it was holding was changed outside "
                f"Home Assistant, on the inverter's panel or by another tool ({run.detail}). "
                f"Left as it was set there: {owners}. Put back to the everyday value: {rest}. "
                "Start a new calibration when you are ready."
            ),
            title="EG4 calibration stopped: a setting was changed",
            notification_id=f"{DOMAIN}_lever_changed_{self.entry_id}",
        )

    @callback
    def settings_restored(self) -> None:
        """A revert was confirmed: the repair issue and the notification go."""
        ir.async_delete_issue(self.hass, DOMAIN, self.revert_issue_id)
        persistent_notification.async_dismiss(self.hass, f"{DOMAIN}_revert_{self.entry_id}")


@callback
def raise_revert_issue(
    hass: HomeAssistant, entry_id: str, detail: str, *, persistent: bool = True
) -> None:
    """The critical repair issue of an entry whose calibration settings are not confirmed back."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        f"revert_failed_{entry_id}",
        is_fixable=False,
        is_persistent=persistent,
        severity=ir.IssueSeverity.CRITICAL,
        translation_key="revert_failed",
        translation_placeholders={"detail": detail or "no read-back"},
    )
