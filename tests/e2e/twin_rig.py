"""The eg4 entry on Home Assistant's mocked MQTT client, with the twin's face answering it.

In process and deterministic: every command the integration publishes reaches the twin's face
(``face.handle``) inside the publish call, and the face's telemetry is delivered with
``async_fire_mqtt_message``, one message at a time as the broker would. Time is frozen and
moves only with the twin: ``Rig.advance`` steps the twin and Home Assistant's clock together
and runs the timers that fall due. Used by the calibration tests here and by the action tests
in ``tests/integration``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import mqtt
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_mqtt_message,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.eg4.const import DOMAIN
from simulator import ChargerPriority, OutputPriority, Twin
from simulator.faces import Face

from .calibration_view import EVENT, CalibrationView, priorities
from .system import ProfileSpec

BULK_STEP_S = 120.0  # big steps while the bank just charges (telemetry stays fresh: < 180 s)
STEP_S = 60.0


async def settle(rounds: int = 30) -> None:
    """Let pending callbacks and tasks run (never blocks on a task waiting for telemetry)."""
    for _ in range(rounds):
        await asyncio.sleep(0)


def distinct(states: list[str]) -> list[str]:
    """States without consecutive repeats (attribute-only changes)."""
    return [s for i, s in enumerate(states) if i == 0 or states[i - 1] != s]


@dataclass(kw_only=True)
class Rig(CalibrationView):
    """The eg4 entry, the twin and its face, wired through the mocked MQTT client."""

    spec: ProfileSpec
    twin: Twin
    face: Face
    mqtt: MqttMockHAClient
    freezer: FrozenDateTimeFactory
    commands: list[tuple[str, str]] = field(default_factory=list)
    phases: list[str] = field(default_factory=list)  # the calibration state sensor's states
    on_command: Callable[[str, str], None] | None = None  # sees each command as it arrives

    # ---- wiring --------------------------------------------------------------------------

    async def connect(self) -> None:
        """Route the face's command topics to ``face.handle`` (again after a reload)."""
        for topic_filter in self.face.command_subscriptions():
            self.entry.async_on_unload(
                await mqtt.async_subscribe(self.hass, topic_filter, self._on_command, qos=1)
            )

    def watch(self) -> None:
        """Record the state sensor's states and the persistent notifications."""
        self.unwatch.append(self.hass.bus.async_listen("state_changed", self._on_state_changed))
        self.watch_notifications()

    @callback
    def _on_command(self, msg: mqtt.ReceiveMessage) -> None:
        payload = msg.payload if isinstance(msg.payload, str) else bytes(msg.payload).decode()
        if self.on_command is not None:
            self.on_command(msg.topic, payload)
        self.commands.append((msg.topic, payload))
        for reply in self.face.handle(msg.topic, payload):
            # A real bridge answers later, never inside the publish call.
            self.hass.loop.call_soon(async_fire_mqtt_message, self.hass, reply.topic, reply.payload)

    @callback
    def _on_state_changed(self, event: Event[Any]) -> None:
        new = event.data.get("new_state")
        if new is not None and event.data["entity_id"] == self.entity_id("calibration_state"):
            self.phases.append(new.state)

    def published(self) -> list[tuple[str, str]]:
        """Every (topic, payload) the integration published."""
        return [(c.args[0], c.args[1]) for c in self.mqtt.async_publish.call_args_list]

    # ---- the twin's side -----------------------------------------------------------------

    def publish(self) -> None:
        """The face's telemetry, as the bridge publishes it."""
        for message in self.face.telemetry():
            async_fire_mqtt_message(self.hass, message.topic, message.payload)

    def tick(self, seconds: float) -> None:
        """Step the twin and Home Assistant's clock together (no timers run yet)."""
        self.twin.step(seconds)
        self.freezer.tick(seconds)

    async def advance(self, seconds: float, *, publish: bool = True) -> None:
        """Step the twin and the clock, publish the telemetry, run the timers that fall due."""
        self.tick(seconds)
        if publish:
            self.publish()
        async_fire_time_changed(self.hass)
        await settle()

    async def readback(self) -> None:
        """Publish the telemetry again without time passing (what the bridge does next)."""
        self.publish()
        await settle()

    async def drive(
        self, until: Callable[[], bool], *, limit_s: float = 6 * 3600, what: str = ""
    ) -> float:
        """Advance (big steps in bulk, minute steps otherwise) until ``until()``; the time."""
        elapsed = 0.0
        while not until():
            assert elapsed < limit_s, f"not reached after {elapsed:.0f} s: {what or until}"
            step = BULK_STEP_S if self.phase == "bulk" else STEP_S
            await self.advance(step)
            elapsed += step
        return elapsed

    async def unload(self, *, limit_s: float = 120) -> None:
        """Unload the entry while the bridge keeps reporting.

        An unload puts a running calibration's settings back first and waits (bounded) for
        their read-backs: time has to pass, with the telemetry flowing, for it to finish.
        """
        task = self.hass.async_create_task(
            self.hass.config_entries.async_unload(self.entry.entry_id)
        )
        elapsed = 0.0
        await settle()
        while not task.done():
            assert elapsed < limit_s, "the unload did not finish"
            await self.advance(5)
            elapsed += 5
        assert await task
        await self.hass.async_block_till_done()

    async def set_up_again(self) -> None:
        """Set the entry up again on the same storage (a restart) and route the commands."""
        assert await self.hass.config_entries.async_setup(self.entry.entry_id)
        await self.hass.async_block_till_done()
        await self.connect()

    async def until_no_run(self, *, limit_s: float = 600) -> None:
        """Advance 5 s at a time (the bridge reports every 5 s) while a run is left, bounded."""
        elapsed = 0.0
        while self.supervisor.run is not None and elapsed < limit_s:
            await self.advance(5)
            elapsed += 5

    def priorities(self) -> list[tuple[OutputPriority, ChargerPriority]]:
        """Each unit's (output, charger) priority in the twin."""
        return priorities(self.twin)


@asynccontextmanager
async def rig_on_mocked_mqtt[R: Rig](
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    storage: dict[str, Any],
    spec: ProfileSpec,
    twin: Twin,
    *,
    title: str,
    unique_id: str,
    kind: type[R],
) -> AsyncIterator[R]:
    """Set the entry up, wire the face to it, publish one round of telemetry; unload after.

    The entry is unloaded while the clock is still the test's: a run left active would
    otherwise try to revert when the test's Home Assistant stops, waiting for read-backs no
    one publishes.
    """
    entry = MockConfigEntry(domain=DOMAIN, title=title, data=dict(spec.data), unique_id=unique_id)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    rig = kind(
        hass=hass,
        spec=spec,
        twin=twin,
        face=spec.make_face(twin),
        entry=entry,
        mqtt=mqtt_mock,
        freezer=freezer,
        storage=storage,
        events=async_capture_events(hass, EVENT),
    )
    await rig.connect()
    rig.watch()
    await rig.readback()
    try:
        yield rig
        if entry.state is ConfigEntryState.LOADED:
            await rig.unload()
    finally:
        while rig.unwatch:
            rig.unwatch.pop()()


class StartRig(Protocol):
    """``rig_on_mocked_mqtt`` with the test's Home Assistant, MQTT mock, clock and storage."""

    def __call__[R: Rig](
        self, spec: ProfileSpec, twin: Twin, *, title: str, unique_id: str, kind: type[R]
    ) -> AbstractAsyncContextManager[R]:
        """Set an entry up on ``twin`` through the bridge ``spec`` (see ``rig_on_mocked_mqtt``)."""
        ...


def rig_starter(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    storage: dict[str, Any],
) -> StartRig:
    """What the ``start_rig`` fixture gives: a rig starter bound to this test."""

    def start[R: Rig](
        spec: ProfileSpec, twin: Twin, *, title: str, unique_id: str, kind: type[R]
    ) -> AbstractAsyncContextManager[R]:
        return rig_on_mocked_mqtt(
            hass,
            mqtt_mock,
            freezer,
            storage,
            spec,
            twin,
            title=title,
            unique_id=unique_id,
            kind=kind,
        )

    return start


def deadline_in(hours: float) -> str:
    """A deadline ``hours`` from now for ``eg4.charge_to``, as the action's form sends it.

    Local wall time, worked out from UTC: a local datetime plus a timedelta moves the wall
    clock, which is an hour more or less than ``hours`` across a daylight-saving change.
    """
    at = dt_util.as_local(dt_util.utcnow() + timedelta(hours=hours))
    return at.strftime("%Y-%m-%d %H:%M:%S")
