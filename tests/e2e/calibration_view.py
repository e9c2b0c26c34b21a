"""What a calibration test reads of one eg4 entry, whatever transport carries it.

The group entities, the supervisor and its stored record, the ``eg4_calibration`` events, the
persistent notifications, and the actions. The rigs that drive a twin (over MQTT, or behind the
simulated portal) extend it with their own side.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
from homeassistant.components import persistent_notification
from homeassistant.core import Context, Event, HomeAssistant, ServiceResponse, State, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.integration_platform import async_process_integration_platforms
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.eg4.const import DOMAIN
from simulator import ChargerPriority, Command, OutputPriority, Setting, Twin

EVENT = "eg4_calibration"
ENDED = "eg4_calibration_ended"
# The phase of every eg4_calibration event of a run that succeeds, in order ...
SUCCESS_EVENTS = ["engaging", "bulk", "absorption", "verifying", "reverting", "succeeded"]
# ... and the phases its record lists (the pre-flight first).
SUCCESS_PHASES = ["preflight", *SUCCESS_EVENTS]


def priorities(twin: Twin) -> list[tuple[OutputPriority, ChargerPriority]]:
    """Each unit's (output, charger) priority in the twin."""
    return [(inv.settings.output_priority, inv.settings.charger_priority) for inv in twin.inverters]


def panel(twin: Twin, setting: Setting, value: OutputPriority | ChargerPriority) -> None:
    """The owner changes a setting on every unit at the inverters' own panel (not via eg4)."""
    units = [inv.index for inv in twin.inverters]
    assert twin.submit(units, Command.single(setting, value), source="panel").accepted


def assert_lever_changed_notified(view: CalibrationView, setting: str) -> None:
    """One notification for the one ending, naming the setting left (as its entity is named);
    no critical issue."""
    notes = [n for key, n in view.notifications.items() if key.startswith(f"{DOMAIN}_")]
    assert len(notes) == 1, view.notifications
    assert f"Left as it was set there: {setting}." in notes[0]["message"]
    issue_id = f"revert_failed_{view.entry.entry_id}"
    assert ir.async_get(view.hass).async_get_issue(DOMAIN, issue_id) is None


@dataclass(kw_only=True)
class CalibrationView:
    """One eg4 entry as a calibration test sees it."""

    hass: HomeAssistant
    entry: MockConfigEntry
    storage: dict[str, Any]
    events: list[Event[Any]]
    notifications: dict[str, Any] = field(default_factory=dict)
    endings: list[Event[Any]] = field(default_factory=list)  # the eg4_calibration_ended events
    unwatch: list[Callable[[], None]] = field(default_factory=list)  # run when the rig goes

    def watch_notifications(self) -> None:
        """Keep ``notifications`` in step with Home Assistant's persistent notifications."""

        @callback
        def _on_change(
            kind: persistent_notification.UpdateType, notifications: dict[str, Any]
        ) -> None:
            if kind is persistent_notification.UpdateType.REMOVED:
                for notification_id in notifications:
                    self.notifications.pop(notification_id, None)
            else:
                self.notifications.update(notifications)

        self.unwatch.append(persistent_notification.async_register_callback(self.hass, _on_change))

        @callback
        def _on_ended(event: Event[Any]) -> None:
            self.endings.append(event)

        self.unwatch.append(self.hass.bus.async_listen(ENDED, _on_ended))

    @property
    def ending_notification(self) -> dict[str, Any] | None:
        """The notification of the latest calibration ending (title, message)."""
        return self.notifications.get(f"{DOMAIN}_calibration_{self.entry.entry_id}")

    async def assert_ending_told(
        self, ending: str, *, title: str, message: str, logbook: str
    ) -> Event[Any]:
        """The last run's ending was told, in words: its eg4_calibration_ended event, the
        notification (the critical one for ``revert_failed``) and the logbook's line.

        ``message`` and ``logbook`` are regular expressions the texts match in full.
        """
        ended = self.endings[-1]
        data = ended.data
        assert data["ending"] == ending
        assert data["run_id"] == self.supervisor.last["run_id"]
        assert data["config_entry_id"] == self.entry.entry_id
        assert data["title"] == f"{self.entry.title}: {title}"
        assert re.fullmatch(message, data["message"]), data["message"]
        notification = self.ending_notification
        if ending == "revert_failed":
            assert notification is None  # the critical notification says it
            assert f"{DOMAIN}_revert_{self.entry.entry_id}" in self.notifications
        else:
            assert notification is not None
            assert (notification["title"], notification["message"]) == (
                data["title"],
                data["message"],
            )
        line = await self.logbook_line(ended)
        assert line["name"] == f"{self.entry.title} calibration"
        assert re.fullmatch(logbook, line["message"]), line["message"]
        assert line["entity_id"] == self.entity_id("calibration_state")
        return ended

    async def logbook_line(self, event: Event[Any]) -> dict[str, str]:
        """The logbook's line for ``event``, as the logbook describes it.

        The integration's logbook platform is found and loaded as the logbook loads it, and
        the event reaches the description as the recorder hands it back (its data as JSON).
        """
        described: dict[str, tuple[str, Callable[[Any], dict[str, str]]]] = {}

        def _describe(domain: str, event_type: str, describe: Callable[[Any], Any]) -> None:
            described[event_type] = (domain, describe)

        def _process(hass: HomeAssistant, _domain: str, platform: Any) -> None:
            platform.async_describe_events(hass, _describe)

        await async_process_integration_platforms(self.hass, "logbook", _process)
        await self.hass.async_block_till_done()
        domain, describe = described[event.event_type]
        assert domain == DOMAIN
        return describe(SimpleNamespace(data=json.loads(json.dumps(event.data))))

    def entity_id(self, key: str, platform: str = "sensor") -> str:
        """The group entity with this key (unique id ``<entry>_system_<key>``)."""
        entity_id = er.async_get(self.hass).async_get_entity_id(
            platform, DOMAIN, f"{self.entry.entry_id}_system_{key}"
        )
        assert entity_id is not None, key
        return entity_id

    def state(self, key: str, platform: str = "sensor") -> State:
        """A group entity's state object."""
        state = self.hass.states.get(self.entity_id(key, platform))
        assert state is not None, key
        return state

    @property
    def supervisor(self) -> Any:
        """The entry's calibration supervisor."""
        return self.entry.runtime_data.supervisor

    @property
    def phase(self) -> str:
        """The running calibration's phase, or idle."""
        run = self.supervisor.run
        return "idle" if run is None else str(run.phase.value)

    @property
    def stored(self) -> dict[str, Any] | None:
        """What the supervisor saved in Home Assistant's storage."""
        item = self.storage.get(f"eg4.calibration.{self.entry.entry_id}")
        return None if item is None else item["data"]

    def assert_aborted(self, run_id: str, reason: str, source: str) -> None:
        """The run ended aborted for ``reason``, naming ``source``: record, events, sensor."""
        last = self.supervisor.last
        assert last["run_id"] == run_id
        assert last["outcome"] == "aborted"
        assert last["reason"] == reason
        assert source in last["detail"]
        assert self.phases_fired()[-2:] == ["reverting", "aborted"]
        assert self.state("last_calibration_result").state == "aborted"

    async def write_lever(self, platform: str, key: str, value: str | float) -> None:
        """Set a group setting through its entity, as the dashboard does."""
        service, field = (
            ("select_option", "option") if platform == "select" else ("set_value", "value")
        )
        await self.hass.services.async_call(
            platform,
            service,
            {"entity_id": self.entity_id(key, platform), field: value},
            blocking=True,
        )

    async def assert_held(self, run_id: str, platform: str, key: str, value: str | float) -> None:
        """A write to a lever the run holds is refused, naming the run and how to cancel it."""
        with pytest.raises(ServiceValidationError) as caught:
            await self.write_lever(platform, key, value)
        assert caught.value.translation_key == "setting_held"
        assert caught.value.translation_placeholders == {"setting": key, "run_id": run_id}
        assert run_id in str(caught.value)
        assert "cancel" in str(caught.value)

    def phases_fired(self) -> list[str]:
        """The phase of every eg4_calibration event, in order."""
        return [event.data["phase"] for event in self.events]

    async def call(
        self, service: str, context: Context | None = None, **data: Any
    ) -> ServiceResponse:
        """One of the actions for this entry (blocking, with response data), as ``context``."""
        return await self.hass.services.async_call(
            DOMAIN,
            service,
            {"config_entry_id": self.entry.entry_id, **data},
            blocking=True,
            return_response=True,
            context=context,
        )

    def start(self, service: str, **data: Any) -> asyncio.Task[ServiceResponse]:
        """An action in the background (it may wait for read-backs)."""
        return self.hass.async_create_task(self.call(service, **data))
