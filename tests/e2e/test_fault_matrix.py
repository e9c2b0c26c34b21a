"""The calibration's promise across interleaved faults (a property test over the twin).

Hypothesis draws scripts: starts, cancels, lever commands the inverters apply late, refused
commands, breaches at any moment, garbage on the bridge's topics, unload/reload, disable and
enable, Home Assistant stopping and starting again on the same storage, exceptions from the
transport, a failing store, silent bridges, and the owner putting a lever back to its everyday
value at the inverters' panel (a run then stops, ``lever_changed``, and leaves that setting as
the owner set it: the promise below holds unchanged) — interleaved with time passing. Each
script runs against a fresh entry and twin on the mocked MQTT client, for both MQTT bridges.

After every step: a run that has ended left every unit on its everyday settings, unless a
lever is still on its way (the inverter applies it late: the watch undoes it when it lands)
or the critical repair issue stands. At the end, with every fault cleared and time passing,
everything converges: no run, everyday settings on every unit, no repair issue, and every
cancel has answered.

The scripts are drawn by hypothesis in advance (the steps must be awaited inside Home
Assistant's event loop, which hypothesis cannot drive), so a failure is reported with its
script rather than shrunk. ``EG4_FAULT_MATRIX_EXAMPLES`` sets how many scripts are drawn per
bridge (default 12; the long profile runs thousands, outside CI).
"""

from __future__ import annotations

import asyncio
import logging
import os
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
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pytest_homeassistant_custom_component.common import async_fire_mqtt_message

from custom_components.eg4.const import DOMAIN
from custom_components.eg4.transport.mqtt import MqttTransport
from simulator import ChargerPriority, Command, OutputPriority, Setting, build_twin
from simulator.faults import NakRule

from .system import PROFILES
from .test_calibration_twin import EVERYDAY, close_mqtt_socket  # noqa: F401 - fixture
from .twin_rig import Rig, StartRig, settle

_LOGGER = logging.getLogger(__name__)

type Op = tuple[str, Any]

LEVERS = ["charger_priority", "output_priority"]
EVERYDAY_VALUES = {
    Setting.OUTPUT_PRIORITY: OutputPriority.SBU,
    Setting.CHARGER_PRIORITY: ChargerPriority.SOLAR_FIRST,
}
GARBAGE = ["", "nan", "1e999", "9" * 400, "-inf", "{}", "Solar - Utility - Battery" * 40]
# Where each bridge publishes pack 2's highest cell (a breach) and a setting read-back.
BREACH = {
    "powermon_lvx": "homeassistant/sensor/lifepower4_2_cell_voltage_max/state",
    "solar_assistant": "solar_assistant/battery_2/cell_voltage_-_highest/state",
}
GARBAGE_TOPICS = {
    "powermon_lvx": [
        BREACH["powermon_lvx"],
        "homeassistant/sensor/lvx6048_1_output_source_priority/state",
        "homeassistant/sensor/lifepower4_3_soc/state",
    ],
    "solar_assistant": [
        BREACH["solar_assistant"],
        "solar_assistant/inverter_1/output_source_priority/state",
        "solar_assistant/set/response_message/state",
    ],
}

OPS = st.one_of(
    st.tuples(st.just("advance"), st.sampled_from([5, 30, 60, 120])),
    st.tuples(st.just("start"), st.none()),
    st.tuples(st.just("cancel"), st.none()),
    st.tuples(
        st.just("late_lever"), st.tuples(st.sampled_from(LEVERS), st.sampled_from([30, 90, 240]))
    ),
    st.tuples(st.just("refuse"), st.sampled_from(LEVERS)),
    st.tuples(st.just("breach"), st.none()),
    st.tuples(st.just("garbage"), st.tuples(st.integers(0, 2), st.sampled_from(GARBAGE))),
    st.tuples(st.just("reload"), st.none()),
    st.tuples(st.just("disable"), st.none()),
    st.tuples(st.just("restart"), st.none()),
    st.tuples(st.just("transport_raises"), st.integers(1, 4)),
    st.tuples(st.just("store_fails"), st.integers(1, 3)),
    st.tuples(st.just("silence"), st.sampled_from([60, 300])),
    st.tuples(st.just("panel"), st.sampled_from(LEVERS)),
)
SCRIPTS = st.lists(OPS, min_size=1, max_size=12)

# One script per defect of issue 11, always run.
DEFECT_SCRIPTS: list[list[Op]] = [
    # 1. a lever applied after its confirmation timed out
    [("late_lever", ("charger_priority", 90)), ("start", None), *[("advance", 30)] * 8],
    # 2. an unload (and a disable) mid-run
    [("start", None), *[("advance", 120)] * 4, ("reload", None)],
    [("start", None), *[("advance", 120)] * 4, ("disable", None)],
    # 3. an exception inside the revert
    [("start", None), *[("advance", 120)] * 4, ("transport_raises", 4), ("cancel", None)],
    # 4. a breach while a lever waits for its read-back
    [("late_lever", ("charger_priority", 240)), ("start", None), ("advance", 5), ("breach", None)],
    # 5. Home Assistant stopping during the engage
    [("late_lever", ("charger_priority", 30)), ("start", None), ("advance", 5), ("restart", None)],
    # and: a failing store at the start, garbage during a run
    [("store_fails", 2), ("start", None), ("advance", 60), ("start", None), ("advance", 120)],
    [("start", None), ("advance", 60), ("garbage", (0, "1e999")), ("garbage", (1, "nan"))],
    # the owner puts a lever back at the inverters' panel mid-run (and while it reverts)
    [("start", None), *[("advance", 120)] * 4, ("panel", "output_priority"), ("advance", 60)],
    [("start", None), ("advance", 5), ("panel", "charger_priority"), *[("advance", 60)] * 12],
    [("start", None), *[("advance", 120)] * 4, ("cancel", None), ("panel", "output_priority")],
    # found by the long profile: a repair issue left standing after everything was restored
    [
        ("start", None),
        ("refuse", "charger_priority"),
        ("store_fails", 3),
        ("silence", 60),
        ("disable", None),
        ("transport_raises", 4),
    ],
    [
        ("reload", None),
        ("transport_raises", 1),
        ("late_lever", ("output_priority", 90)),
        ("cancel", None),
        ("start", None),
        ("reload", None),
        ("start", None),
        ("transport_raises", 1),
        ("reload", None),
    ],
]


def draw_scripts(count: int) -> list[list[Op]]:
    """Scripts drawn by hypothesis (the defect scripts first, as explicit examples)."""
    drawn: list[list[Op]] = []

    @settings(
        max_examples=count,
        derandomize=os.environ.get("EG4_FAULT_MATRIX_RANDOM") is None,
        database=None,
        suppress_health_check=list(HealthCheck),
        deadline=None,
    )
    @given(SCRIPTS)
    def collect(script: list[Op]) -> None:
        drawn.append(script)

    for script in DEFECT_SCRIPTS:
        collect = example(script)(collect)
    collect()
    return drawn


COUNT = int(os.environ.get("EG4_FAULT_MATRIX_EXAMPLES", "12"))


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
    step: int = 0

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
        if self.rig.priorities() == EVERYDAY or self.issue():
            return
        # Only a lever the inverters still have to apply (or just applied, and the watch is
        # sending it back) may differ from the everyday settings.
        assert twin._pending or self.rig.supervisor.reverter._late_busy, (
            f"ended with {self.rig.priorities()} and no repair issue: {self.where()}"
        )

    async def reconnect(self) -> None:
        await self.hass.async_block_till_done()
        assert self.rig.entry.state is ConfigEntryState.LOADED, self.where()
        await self.rig.connect()
        await self.rig.readback()

    async def do(self, op: Op) -> None:  # noqa: PLR0912, PLR0915 - a branch per kind of step
        name, arg = op
        rig = self.rig
        if name == "advance":
            await rig.advance(arg)
        elif name == "start" and self.loaded():
            refusal: Exception | None = None
            try:
                await rig.call("run_calibration")
            except Exception as err:  # noqa: BLE001 - a refusal is an answer
                refusal = err
            # ... and a translated one.
            assert refusal is None or getattr(refusal, "translation_key", None), repr(refusal)
        elif name == "cancel" and self.loaded() and rig.supervisor.run is not None:
            if rig.supervisor.run.is_active:
                self.faults.cancels.append(rig.start("cancel_calibration"))
                await settle()
        elif name == "late_lever":
            rig.twin.faults.delay(arg[1], count=1, setting=Setting(arg[0]))
        elif name == "refuse":
            rig.twin.faults.nak_rules.append(NakRule(remaining=2, setting=Setting(arg)))
        elif name == "breach":
            async_fire_mqtt_message(self.hass, BREACH[rig.spec.name], "3.68")
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
            rig.twin.submit(
                [1, 2], Command.single(setting, EVERYDAY_VALUES[setting]), source="panel"
            )

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
        assert rig.priorities() == EVERYDAY, f"{rig.priorities()} {self.where()}"
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
        spec = PROFILES[profile]
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
@pytest.mark.parametrize("profile", sorted(PROFILES))
async def test_the_promise_holds_under_interleaved_faults(
    hass: HomeAssistant, system: Any, faults: Faults, profile: str
) -> None:
    """Every drawn script keeps the invariant after every step and converges at the end."""
    scripts = draw_scripts(COUNT)
    assert len(scripts) >= len(DEFECT_SCRIPTS)
    for index, script in enumerate(scripts):
        async with system(profile, index) as rig:
            case = Case(rig=rig, faults=faults, script=script)
            for step, op in enumerate(script):
                case.step = step
                _LOGGER.info("script %d step %d: %s", index, step, op)
                await case.do(op)
                case.check()
            case.step = len(script)
            await case.converge()
            if rig.entry.state is ConfigEntryState.LOADED:
                await rig.unload()
        await hass.config_entries.async_remove(rig.entry.entry_id)
        await hass.async_block_till_done()
