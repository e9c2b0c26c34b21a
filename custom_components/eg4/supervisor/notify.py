"""What the owner is told about a calibration: events, the critical repair, notifications.

Each phase change fires ``eg4_calibration``; each ending fires ``eg4_calibration_ended``
and leaves a persistent notification (``endings``) — or, when the settings could not be
confirmed back, the critical repair issue and its notification, until a revert confirms.
"""

from __future__ import annotations

import logging

from homeassistant.components import persistent_notification
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from ..calibration import CalibrationRun
from ..calibration.ending import Ending, ending_data
from ..const import DOMAIN
from ..quick import KIND as QUICK
from .charge_words import charge_ended
from .endings import (
    EVENT_CALIBRATION_ENDED,
    ending_notification_id,
    entry_title,
    lever_placeholders,
    notification_texts,
)
from .quick_words import quick_ended
from .words import Words

_LOGGER = logging.getLogger(__name__)

EVENT_CALIBRATION = "eg4_calibration"


class Notifier:
    """One entry's calibration messages."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Bind to an entry."""
        self.hass = hass
        self.entry_id = entry_id
        self.words = Words(hass)

    @property
    def revert_issue_id(self) -> str:
        """The critical 'settings not restored' repair issue of this entry."""
        return f"revert_failed_{self.entry_id}"

    @property
    def revert_notification_id(self) -> str:
        """The notification that goes with the critical repair issue."""
        return f"{DOMAIN}_revert_{self.entry_id}"

    @callback
    def fire(self, run: CalibrationRun, phase: str) -> None:
        """An ``eg4_calibration`` event (automations follow these)."""
        self.hass.bus.async_fire(
            EVENT_CALIBRATION,
            {
                "config_entry_id": self.entry_id,
                "run_id": run.run_id,
                "phase": phase,
                "method": run.method.value,
                "kind": run.kind,
                "reason": None if run.reason is None else run.reason.value,
                "detail": run.detail,
            },
        )

    @callback
    def ended(self, run: CalibrationRun) -> None:
        """A run ended: the owner is told how, and ``eg4_calibration_ended`` fires."""
        data = ending_data(self.entry_id, run.run_summary())
        if run.kind != "calibration" and data["ending"] != Ending.REVERT_FAILED:
            told = quick_ended if run.kind == QUICK else charge_ended
            told(self.hass, self.words, self.entry_id, run, data)
            return
        title = entry_title(self.hass, self.entry_id)
        heading, message = notification_texts(self.words, title, data)
        lever = lever_placeholders(self.words, run)
        if lever is not None and data["ending"] == Ending.ABORTED:  # one text says it all
            heading = self.words.titled("lever_changed_title", title)
            message = self.words.message(
                translation_domain=DOMAIN,
                translation_key="lever_changed",
                translation_placeholders=lever,
            )
        if data["ending"] == Ending.REVERT_FAILED:
            self.fire(run, "revert_failed")
            # The critical notification says it all: no second one beside it.
            persistent_notification.async_dismiss(self.hass, ending_notification_id(self.entry_id))
            self.settings_not_restored(run.revert_detail or run.detail)
        else:
            persistent_notification.async_create(
                self.hass,
                message,
                title=heading,
                notification_id=ending_notification_id(self.entry_id),
            )
        self.hass.bus.async_fire(
            EVENT_CALIBRATION_ENDED, {**data, "title": heading, "message": message}
        )

    @callback
    def restored_after_failure(self, run: CalibrationRun) -> None:
        """A failed run's settings are confirmed back at last: the owner is told so."""
        self.fire(run, "revert_confirmed")
        title = entry_title(self.hass, self.entry_id)
        persistent_notification.async_create(
            self.hass,
            self.words.titled("restored_after_failure", title),
            title=self.words.titled("restored_after_failure_title", title),
            notification_id=ending_notification_id(self.entry_id),
        )

    @callback
    def settings_not_restored(self, detail: str, *, persistent: bool = True) -> None:
        """The critical repair issue and a notification: the bank may be on grid charge."""
        detail = raise_revert_issue(self.hass, self.entry_id, detail, persistent=persistent)
        persistent_notification.async_create(
            self.hass,
            self.words.message(
                translation_domain=DOMAIN,
                translation_key="settings_not_restored",
                translation_placeholders={
                    "title": entry_title(self.hass, self.entry_id),
                    "detail": detail,
                },
            ),
            title=self.words.message(
                translation_domain=DOMAIN, translation_key="settings_not_restored_title"
            ),
            notification_id=self.revert_notification_id,
        )

    @callback
    def lever_changed(self, run: CalibrationRun) -> None:
        """A held lever was changed outside eg4: the run stops, that setting is left alone.

        Logged now; the owner is told once, by the run's ending (``ended``), which names the
        setting left and those put back once their read-back confirms them.
        """
        _LOGGER.warning(
            "%s %s stopped: %s was changed outside eg4 (%s); putting the rest back",
            run.kind.replace("_", " ").capitalize(),
            run.run_id,
            ", ".join(sorted(key.value for key in run.owner_settings)),
            run.detail,
        )

    @callback
    def settings_restored(self) -> None:
        """A revert was confirmed: the repair issue and the notification go."""
        ir.async_delete_issue(self.hass, DOMAIN, self.revert_issue_id)
        persistent_notification.async_dismiss(self.hass, self.revert_notification_id)


@callback
def raise_revert_issue(
    hass: HomeAssistant, entry_id: str, detail: str, *, persistent: bool = True
) -> str:
    """The critical repair issue of an entry whose calibration settings are not confirmed back.

    Returns the detail it shows (a translated "no read-back" when none is given).
    """
    detail = detail or Words(hass).message(
        translation_domain=DOMAIN, translation_key="no_read_back"
    )
    ir.async_create_issue(
        hass,
        DOMAIN,
        f"revert_failed_{entry_id}",
        is_fixable=False,
        is_persistent=persistent,
        severity=ir.IssueSeverity.CRITICAL,
        translation_key="revert_failed",
        translation_placeholders={"detail": detail},
    )
    return detail
