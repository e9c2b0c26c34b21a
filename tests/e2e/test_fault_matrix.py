"""The supervised runs' promise across interleaved faults (a property test over the twin).

Hypothesis draws scripts: starts of a calibration, of a charge to a target and of a forced
discharge (lxp-bridge's alone; the PI family refuses it in words), cancels, lever commands the
inverters apply late, refused commands, breaches at any moment, garbage on the bridge's
topics, unload/reload, disable and enable, Home Assistant stopping and starting again on the
same storage, exceptions from the transport, a failing store, silent bridges, and the owner
putting a lever back to its everyday value at the inverters' panel (a run then stops,
``lever_changed``, and leaves that setting as the owner set it: the promise below holds
unchanged) — interleaved with time passing. Each script runs against a fresh entry and twin on
the mocked MQTT client, for the three MQTT bridges (lxp-bridge's levers also include the
AC-charge stop SoC and the forced discharge's switch and window registers).

After every step: a run that has ended left every unit on its everyday settings (both
priorities and both charge currents, the levers a charge to a target holds too), unless a
lever is still on its way (the inverter applies it late: the watch undoes it when it lands)
or the critical repair issue stands. At the end, with every fault cleared and time passing,
everything converges: no run, everyday settings on every unit, no repair issue, and every
cancel has answered.

The scripts are drawn in advance (``matrix.draw_scripts``; ``EG4_FAULT_MATRIX_EXAMPLES`` sets
how many per bridge), so a failure is reported with its script rather than shrunk.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any
from unittest.mock import patch

import pytest
from homeassistant.config_entries import ConfigEntryDisabler, ConfigEntryState
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.util.file import WriteError
from pytest_homeassistant_custom_component.common import async_fire_mqtt_message

from custom_components.eg4.const import DOMAIN
from custom_components.eg4.transport.mqtt import MqttTransport
from simulator import Command, Setting, build_twin
from simulator.faults import NakRule
from simulator.portal_params import GRID_CHARGE_OFF

from .matrix import COUNT, Op, draw_scripts, play
from .matrix_mqtt import (
    BREACH,
    CHARGE_TO,
    DEFECT_SCRIPTS,
    EVERYDAY_VALUES,
    GARBAGE_TOPICS,
    LXP,
    LXP_INPUTS,
    MATRIX,
    OPS,
)
from .test_calibration_twin import close_mqtt_socket  # noqa: F401 - fixture
from .twin_rig import Rig, StartRig, deadline_in, settle

type Levers = list[tuple[object, ...]]


def levers(rig: Rig) -> Levers:
    """Each unit's levers: both priorities, both charge currents, the AC-charge stop SoC, and
    on lxp-bridge the forced discharge's switch and its first window's registers."""
    forced = getattr(rig.face, "forced", None)
    return [
        (
            inv.settings.output_priority,
            inv.settings.charger_priority,
            inv.settings.max_charge_current_a,
            inv.settings.max_utility_charge_current_a,
            inv.settings.ac_charge_soc_limit_pct,
            *(
                ()
                if forced is None
                else (
                    forced.enabled.get(unit, False),
                    forced.register(unit, 84),
                    forced.register(unit, 85),
                )
            ),
        )
        for unit, inv in enumerate(rig.twin.inverters, start=1)
    ]


@dataclass
class Faults:
    """Faults the script switched on that live outside the twin."""

    raises: int = 0  # the transport's next sends raise OverflowError
    store_fails: int = 0  # the record store's next writes fail
    cancels: list[asyncio.Task[Any]] = field(default_factory=list)


@pytest.fixture
def faults() -> Iterator[Faults]:
    """Transport and store faults, patched in for the whole test."""
    state = Faults()
    real_send = MqttTransport.async_send

    async def send(self: MqttTransport, *args: Any, **kwargs: Any) -> None:
        if state.raises > 0:
            state.raises -= 1
            raise OverflowError("int too large to convert to float")
        await real_send(self, *args, **kwargs)

    from homeassistant.helpers.storage import Store

    real_write = Store._async_write_data

    async def write(self: Store[Any], *args: Any, **kwargs: Any) -> None:
        if state.store_fails > 0 and self.key.startswith(f"{DOMAIN}.calibration."):
            state.store_fails -= 1
            raise WriteError("disk full (injected)")
        await real_write(self, *args, **kwargs)

    with ExitStack() as stack:
        stack.enter_context(patch.object(MqttTransport, "async_send", send))
        stack.enter_context(patch.object(Store, "_async_write_data", write))
        yield state


@dataclass
class Case:
    """One script's system: its rig (re-made on every reload) and its faults."""

    rig: Rig
    faults: Faults
    script: list[Op]
    everyday: Levers = field(default_factory=list)  # the twin's levers before the script
    step: int = 0

    def __post_init__(self) -> None:
        self.everyday = levers(self.rig)
        assert {unit[:2] for unit in self.everyday} == {tuple(EVERYDAY_VALUES.values())}

    def at_everyday(self) -> bool:
        return levers(self.rig) == self.everyday

    @property
    def hass(self) -> HomeAssistant:
        return self.rig.hass

    def loaded(self) -> bool:
        return self.rig.entry.state is ConfigEntryState.LOADED

    def issue(self) -> bool:
        registry = ir.async_get(self.hass)
        return (
            registry.async_get_issue(DOMAIN, f"revert_failed_{self.rig.entry.entry_id}") is not None
        )

    def where(self) -> str:
        return f"script {self.script} at step {self.step}"

    def check(self) -> None:
        """The invariant, after a step."""
        twin = self.rig.twin
        if self.loaded():
            run = self.rig.supervisor.run
            if run is not None and run.outcome is not None:  # failed, not confirmed back
                assert self.issue(), f"a failed run without its repair issue: {self.where()}"
                return
            if run is not None:
                return  # running, or reverting: the promise is judged when it ends
        else:
            stored = self.rig.stored
            if stored is not None and stored.get("run") is not None:
                assert self.issue() or self.rig.entry.state is ConfigEntryState.NOT_LOADED
                return
        if self.at_everyday() or self.issue():
            return
        # Only a lever the inverters still have to apply (or just applied, and the watch is
        # sending it back) may differ from the everyday settings.
        assert twin._pending or self.rig.supervisor.late.undoing, (
            f"ended with {levers(self.rig)} and no repair issue: {self.where()}"
        )

    def breach(self) -> None:
        """A cell above the calibration's limit, where the bridge reports it."""
        rig = self.rig
        if rig.spec.name == LXP.name:
            inputs = rig.face.inputs_all(1)  # type: ignore[attr-defined]
            inputs["max_cell_voltage"] = 3.68
            async_fire_mqtt_message(self.hass, LXP_INPUTS, json.dumps(inputs))
        else:
            async_fire_mqtt_message(self.hass, BREACH[rig.spec.name], "3.68")

    async def reconnect(self) -> None:
        await self.hass.async_block_till_done()
        assert self.rig.entry.state is ConfigEntryState.LOADED, self.where()
        await self.rig.connect()
        await self.rig.readback()

    async def ask(self, service: str, **data: Any) -> None:
        """Start a run; a refusal is an answer, and a translated one."""
        refusal: Exception | None = None
        try:
            await self.rig.call(service, **data)
        except Exception as err:  # noqa: BLE001 - a refusal is an answer
            refusal = err
        assert refusal is None or getattr(refusal, "translation_key", None), repr(refusal)

    async def do(self, op: Op) -> None:  # noqa: PLR0912, PLR0915 - a branch per kind of step
        name, arg = op
        rig = self.rig
        if name == "advance":
            await rig.advance(arg)
        elif name == "start" and self.loaded():
            await self.ask("run_calibration")
        elif name == "charge" and self.loaded():
            target, hours = CHARGE_TO["target_soc"], CHARGE_TO["hours"]
            await self.ask("charge_to", target_soc=target, deadline=deadline_in(hours))
        elif name == "discharge" and self.loaded():
            await self.ask("forced_discharge", duration=arg)
        elif name == "cancel" and self.loaded() and rig.supervisor.run is not None:
            if rig.supervisor.run.is_active:
                self.faults.cancels.append(rig.start("cancel_calibration"))
                await settle()
        elif name == "late_lever":
            rig.twin.faults.delay(arg[1], count=1, setting=Setting(arg[0]))
        elif name == "refuse":
            setting = None if arg is None else Setting(arg)
            rig.twin.faults.nak_rules.append(NakRule(remaining=2, setting=setting))
        elif name == "breach":
            self.breach()
            await settle()
        elif name == "garbage":
            topic = GARBAGE_TOPICS[rig.spec.name][arg[0]]
            async_fire_mqtt_message(self.hass, topic, arg[1])
            await settle()
        elif name == "reload" and self.loaded():
            await rig.unload()
            assert await self.hass.config_entries.async_setup(rig.entry.entry_id)
            await self.reconnect()
        elif name == "disable" and self.loaded():
            task = self.hass.async_create_task(
                self.hass.config_entries.async_set_disabled_by(
                    rig.entry.entry_id, ConfigEntryDisabler.USER
                )
            )
            while not task.done():
                await rig.advance(5)
            await task
            assert await self.hass.config_entries.async_set_disabled_by(rig.entry.entry_id, None)
            await self.reconnect()
        elif name == "restart" and self.loaded():
            stop = self.hass.async_create_task(
                rig.supervisor._on_stop(Event(EVENT_HOMEASSISTANT_STOP))
            )
            while not stop.done():
                await rig.advance(5)
            await stop
            await rig.unload()
            assert await self.hass.config_entries.async_setup(rig.entry.entry_id)
            await self.reconnect()
        elif name == "transport_raises":
            self.faults.raises = arg
        elif name == "store_fails":
            self.faults.store_fails = arg
        elif name == "silence":
            rig.twin.add_dropout(rig.twin.clock_s, arg)
        elif name == "panel":  # the owner sets the everyday value at the inverters' panel
            setting = Setting(arg)
            value = EVERYDAY_VALUES.get(setting, self.everyday[0][2])  # else max charge current
            command = Command.single(setting, value)
            if rig.spec.name == LXP.name and setting in EVERYDAY_VALUES:
                command = GRID_CHARGE_OFF  # the hybrid's one priority lever: AC charge off
            rig.twin.submit([1, 2], command, source="panel")

    async def converge(self) -> None:
        """Every fault cleared, time passes: nothing may be left on a lever."""
        rig = self.rig
        self.faults.raises = 0
        self.faults.store_fails = 0
        rig.twin.faults.clear()
        if not self.loaded():
            assert await self.hass.config_entries.async_setup(rig.entry.entry_id)
            await self.reconnect()
        run = rig.supervisor.run
        if run is not None and run.is_active and run.phase.value != "reverting":
            self.faults.cancels.append(rig.start("cancel_calibration"))
        for _ in range(50):  # 50 minutes: two retries of an unconfirmed revert, and more
            if rig.supervisor.run is None and not rig.twin._pending and not self.issue():
                break
            await rig.advance(60)
        for _ in range(16):  # past the late-lever watch
            await rig.advance(60)
        assert rig.supervisor.run is None, f"run left: {rig.supervisor.run.phase} {self.where()}"
        assert self.at_everyday(), f"{levers(rig)}, not {self.everyday}: {self.where()}"
        assert not self.issue(), f"repair issue left: {self.where()}"
        for task in self.faults.cancels:
            assert task.done(), f"a cancel never answered: {self.where()}"
        self.faults.cancels.clear()


@pytest.fixture
async def system(
    start_rig: StartRig,
) -> AsyncIterator[Any]:
    """Makes a fresh entry and twin for each script."""

    def make(profile: str, index: int) -> Any:
        spec = MATRIX[profile]
        twin = build_twin("drifted", inverters=2, packs=6, seed=index)
        return start_rig(
            spec,
            twin,
            title=f"{spec.title} #{index}",
            unique_id=f"matrix:{profile}:{index}",
            kind=Rig,
        )

    return make


@pytest.mark.timeout(max(1800, COUNT * 10))
@pytest.mark.parametrize("profile", sorted(MATRIX))
async def test_the_promise_holds_under_interleaved_faults(
    hass: HomeAssistant, system: Any, faults: Faults, profile: str
) -> None:
    """Every drawn script keeps the invariant after every step and converges at the end."""
    scripts = draw_scripts(OPS, DEFECT_SCRIPTS)
    assert len(scripts) >= len(DEFECT_SCRIPTS)
    for index, script in enumerate(scripts):
        async with system(profile, index) as rig:
            await play(Case(rig=rig, faults=faults, script=script), index, script)
            if rig.entry.state is ConfigEntryState.LOADED:
                await rig.unload()
        await hass.config_entries.async_remove(rig.entry.entry_id)
        await hass.async_block_till_done()
