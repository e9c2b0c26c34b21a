"""The supervised runs' promise across interleaved faults, over the cloud (a property test).

The cloud counterpart of ``test_fault_matrix``, against the simulated portal and its twin:
Hypothesis draws scripts of starts (a calibration, a charge to a target, a quick charge, a
forced discharge), cancels, commands refused or applied late, portal errors (write, function,
read, runtime and quick paths; HTTP 500 too), expired sessions, a unit offline for a while,
reloads, Home Assistant stopping and starting again, and the owner turning AC charge off (or
putting a lever back) at the panel, with time passing. After every step, a run that ended left
every unit's everyday settings (both priorities and charge currents, the AC-charge stop SoC
the portal holds, no quick task), unless a lever is on its way or the repair issue stands; at
the end, every fault cleared, everything converges and every cancel has answered.

The scripts are drawn in advance (``matrix.draw_scripts``); every failing script is listed,
not shrunk.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import issue_registry as ir
from hypothesis import strategies as st

from custom_components.eg4.const import DOMAIN
from simulator import Command, Setting, build_twin
from simulator.faults import NakRule
from simulator.portal_params import GRID_CHARGE_OFF

from .matrix import COUNT, Op, draw_scripts, play
from .test_calibration_cloud import (
    EVERYDAY,
    EVERYDAY_STOP_SOC,
    SCAN_S,
    everyday_portal,
    owner_entry,
)
from .test_calibration_cloud import CloudRig as BaseRig
from .twin_rig import deadline_in

NOT_LOADED, SETUP_RETRY = ConfigEntryState.NOT_LOADED, ConfigEntryState.SETUP_RETRY


type Levers = list[tuple[object, ...]]

CURRENTS = ["max_charge_current", "max_utility_charge_current"]
LEVERS = ["charger_priority", "ac_charge_soc_limit", *CURRENTS]
PATHS = ["remoteSet/write", "remoteSet/functionControl", "remoteRead/read", "getInverterRuntime"]
QUICK_PATHS = ["quickCharge/getStatusInfo", "quickCharge/stop", "quickDischarge/stop"]

# An error on a portal path (None: any but the login), for 1 to 4 requests, in words or HTTP 500.
ERRORS = st.tuples(
    st.sampled_from([*PATHS, *QUICK_PATHS, None]), st.integers(1, 4), st.sampled_from([200, 500])
)
OPS = st.one_of(
    st.tuples(st.just("advance"), st.sampled_from([60, 120, 300])),
    st.tuples(st.just("start"), st.none()),
    st.tuples(st.just("charge"), st.none()),
    st.tuples(st.just("quick"), st.sampled_from([30, 240])),
    st.tuples(st.just("discharge"), st.sampled_from([30, 240])),
    st.tuples(st.just("cancel"), st.none()),
    st.tuples(st.just("refuse"), st.sampled_from([*LEVERS, None])),  # None: any command
    st.tuples(st.just("late"), st.tuples(st.sampled_from(LEVERS), st.sampled_from([30, 90, 240]))),
    st.tuples(st.just("portal"), ERRORS),
    st.tuples(st.just("expire"), st.none()),
    st.tuples(st.just("offline"), st.tuples(st.integers(1, 2), st.sampled_from([120, 600]))),
    st.tuples(st.just("reload"), st.none()),
    st.tuples(st.just("restart"), st.none()),
    st.tuples(st.just("panel"), st.sampled_from(["ac_charge", *LEVERS[1:3]])),
)
WAIT: list[Op] = [("advance", 120)] * 2
NO_DISCHARGE_STOP: Op = ("portal", ("quickDischarge/stop", 4, 200))
LATE_STOP_SOC: Op = ("late", ("ac_charge_soc_limit", 240))
CANCEL: Op = ("cancel", None)

DEFECT_SCRIPTS: list[list[Op]] = [
    # a portal error on the revert's write (a refusal, then HTTP 500)
    [("start", None), ("advance", 60), ("portal", ("remoteSet/write", 3, 200)), ("cancel", None)],
    [("charge", None), *WAIT, ("portal", ("remoteSet/functionControl", 4, 500)), ("cancel", None)],
    # an unload mid-run, for each kind of run
    [("start", None), *WAIT, ("reload", None)],
    [("charge", None), *WAIT, ("reload", None)],
    [("quick", 240), *WAIT, ("reload", None)],
    [("discharge", 240), *WAIT, ("reload", None)],
    # Home Assistant stopping mid-run (the quick stop refused at the stop)
    [("start", None), *WAIT, ("restart", None)],
    [("quick", 240), ("advance", 60), ("portal", ("quickCharge/stop", 4, 200)), ("restart", None)],
    [("discharge", 240), ("advance", 60), ("restart", None), ("discharge", 30)],
    # the session expires mid-run
    [("charge", None), ("advance", 60), ("expire", None), ("advance", 60), ("cancel", None)],
    [("quick", 30), ("expire", None), ("advance", 300), ("advance", 300)],
    # a cancel while the portal errors
    [("start", None), ("advance", 60), ("portal", (None, 4, 500)), ("cancel", None), *WAIT],
    [("discharge", 240), ("advance", 60), NO_DISCHARGE_STOP, ("cancel", None), ("advance", 60)],
    # the owner at the panel mid-run
    [("start", None), *WAIT, ("panel", "ac_charge"), ("advance", 60)],
    [("charge", None), *WAIT, ("panel", "max_charge_current"), ("advance", 60)],
    # a unit offline mid-run; a refused start; a lever applied late
    [("start", None), ("advance", 60), ("offline", (2, 600)), ("cancel", None), *WAIT],
    [("refuse", None), ("start", None), ("advance", 60), ("quick", 30)],
    [("late", ("charger_priority", 90)), ("start", None), *[("advance", 60)] * 4],
    # a lever applied after its confirmation timed out lands after the revert: the late-lever
    # watch has the portal read it on every poll (it used to be read hourly once the run let
    # go of it, and stayed, with no repair issue)
    [("late", ("ac_charge_soc_limit", 240)), ("start", None), *[("advance", 60)] * 6],
    [("late", ("max_charge_current", 240)), ("charge", None), *[("advance", 60)] * 6],
    # a second run ends while the first one's late stop SoC is on its way: the watch keeps
    # both runs' levers (the second run's end used to replace the first one's watch)
    [LATE_STOP_SOC, ("charge", None), CANCEL, ("discharge", 30), CANCEL, *[("advance", 60)] * 5],
]


@dataclass(kw_only=True)
class CloudRig(BaseRig):
    """The calibration tests' cloud rig, with tasks awaited while time passes."""

    offline_until: dict[str, float] = field(default_factory=dict)  # serial -> twin clock

    async def step(self, seconds: float) -> None:
        """Time passes a poll at most at a time (never waiting on a task that waits for the
        clock); a lost unit whose time is up comes back."""
        while seconds > 0:
            await self.advance(min(seconds, SCAN_S), wait_for_tasks=False)
            seconds -= SCAN_S
            for serial, until in list(self.offline_until.items()):
                if self.twin.clock_s >= until:
                    self.portal.set_offline(serial, False)
                    del self.offline_until[serial]

    async def wait[T](self, task: asyncio.Task[T], what: str, limit_s: float = 900) -> T:
        """Let time pass 5 s at a time until ``task`` is done (bounded)."""
        elapsed = 0.0
        await self.quiet()
        while not task.done():
            assert elapsed < limit_s, f"{what} did not finish"
            await self.step(5)
            elapsed += 5
        return await task

    async def unload(self) -> None:
        """Unload the entry (it puts a run's settings back first, waiting for read-backs)."""
        unload = self.hass.config_entries.async_unload(self.entry.entry_id)
        assert await self.wait(self.hass.async_create_task(unload), "the unload")

    async def set_up(self) -> None:
        """Set the entry up again (or retry a set-up the portal's errors failed)."""
        entries = self.hass.config_entries
        setup = entries.async_setup if self.entry.state is NOT_LOADED else entries.async_reload
        await self.wait(self.hass.async_create_task(setup(self.entry.entry_id)), "the set-up")


def levers(rig: CloudRig) -> Levers:
    """Each unit's levers: both priorities, both charge currents, the AC-charge stop SoC as the
    portal holds it, and its quick task."""
    units = zip(rig.twin.inverters, rig.priorities(), rig.stop_socs(), strict=True)
    return [
        (*pair, *(getattr(inv.settings, f"{key}_a") for key in CURRENTS), soc, inv.quick)
        for inv, pair, soc in units
    ]


@dataclass
class Case:
    """One script's system: its rig and the cancels it sent."""

    rig: CloudRig
    script: list[Op]
    everyday: Levers = field(default_factory=list)
    cancels: list[asyncio.Task[Any]] = field(default_factory=list)
    step: int = 0

    def __post_init__(self) -> None:
        self.everyday = levers(self.rig)
        assert self.rig.priorities() == EVERYDAY
        assert self.rig.stop_socs() == [EVERYDAY_STOP_SOC] * 2

    def loaded(self) -> bool:
        return self.rig.entry.state is ConfigEntryState.LOADED

    def issue(self) -> bool:
        issue_id = f"revert_failed_{self.rig.entry.entry_id}"
        return ir.async_get(self.rig.hass).async_get_issue(DOMAIN, issue_id) is not None

    def pending(self) -> bool:
        """A lever the inverters still have to apply, or one the watch is sending back."""
        rig = self.rig
        busy = self.loaded() and rig.supervisor.late.undoing
        return bool(rig.twin._pending or rig.portal.params.deferred or busy)

    def where(self) -> str:
        return f"script {self.script} at step {self.step}"

    def check(self) -> None:
        """The invariant, after a step."""
        rig = self.rig
        if self.loaded():
            run = rig.supervisor.run
            if run is not None and run.outcome is not None:  # failed, not confirmed back
                assert self.issue(), f"a failed run without its repair issue: {self.where()}"
                return
            if run is not None:
                return  # running, or reverting: the promise is judged when it ends
        elif (rig.stored or {}).get("run") is not None:  # reverted when the entry is back
            state = rig.entry.state
            assert self.issue() or state in (NOT_LOADED, SETUP_RETRY), f"{state} {self.where()}"
            return
        if levers(rig) == self.everyday or self.issue():
            return
        assert self.pending(), f"ended with {levers(rig)} and no repair issue: {self.where()}"

    async def ask(self, service: str, **data: Any) -> None:
        """Start a run; a refusal is an answer, and a translated one."""
        refusal: Exception | None = None
        try:
            await self.rig.wait(self.rig.start(service, **data), service)
        except Exception as err:  # noqa: BLE001 - a refusal is an answer
            refusal = err
        assert refusal is None or getattr(refusal, "translation_key", None), repr(refusal)

    async def do(self, op: Op) -> None:  # noqa: PLR0912 - a branch per kind of step
        name, arg = op
        rig = self.rig
        twin, portal = rig.twin, rig.portal
        if name == "advance":
            await rig.step(arg)
        elif name == "start" and self.loaded():
            await self.ask("run_calibration")
        elif name == "charge" and self.loaded():
            # 90 % within eight hours: the drifted bank (about 60 %) gets there.
            await self.ask("charge_to", target_soc=90, deadline=deadline_in(8))
        elif name in ("quick", "discharge") and self.loaded():
            await self.ask("quick_charge" if name == "quick" else "forced_discharge", duration=arg)
        elif name == "cancel" and self.loaded() and rig.supervisor.run is not None:
            if rig.supervisor.run.is_active:
                self.cancels.append(rig.start("cancel_calibration"))
                await rig.quiet()
        elif name == "refuse":
            twin.faults.nak_rules.append(NakRule(remaining=2, setting=arg and Setting(arg)))
        elif name == "late":
            twin.faults.delay(arg[1], count=1, setting=Setting(arg[0]))
        elif name == "portal":
            path, count, status = arg
            message = "REMOTE_SET_ERROR" if status == 200 else "Internal Server Error"
            portal.inject_error(message, count, path, status=status)
        elif name == "expire":
            portal.expire_sessions()
        elif name == "offline":
            serial = portal.serials[arg[0] - 1]
            portal.set_offline(serial)
            rig.offline_until[serial] = twin.clock_s + arg[1]
        elif name == "reload" and self.loaded():
            await rig.unload()
            await rig.set_up()
        elif name == "restart" and self.loaded():
            stop = rig.supervisor._on_stop(Event(EVENT_HOMEASSISTANT_STOP))
            await rig.wait(rig.hass.async_create_task(stop), "the stop")
            await rig.unload()
            await rig.set_up()
        elif name == "panel":  # the owner, at the inverters' panel, on every unit
            command = GRID_CHARGE_OFF  # AC charge off: both priorities everyday
            if arg != "ac_charge":
                value = self.everyday[0][2 if arg == "max_charge_current" else 4]
                command = Command.single(Setting(arg), value)  # type: ignore[arg-type]
            twin.submit([1, 2], command, source="panel")

    async def converge(self) -> None:
        """Every fault cleared, time passes: nothing may be left on a lever."""
        rig = self.rig
        rig.portal.clear_errors()
        rig.twin.faults.clear()
        for serial in rig.portal.serials:
            rig.portal.set_offline(serial, False)
        rig.offline_until.clear()
        if not self.loaded():
            await rig.set_up()
            assert self.loaded(), f"{rig.entry.state}: {self.where()}"
        run = rig.supervisor.run
        if run is not None and run.is_active and run.phase.value != "reverting":
            self.cancels.append(rig.start("cancel_calibration"))
        for _ in range(50):  # 50 minutes: two retries of an unconfirmed revert, and more
            if rig.supervisor.run is None and not self.pending() and not self.issue():
                break
            await rig.step(SCAN_S)
        for _ in range(4):  # past the late-lever watch (15 minutes)
            await rig.step(300)
        assert rig.supervisor.run is None, f"run left: {rig.supervisor.run.phase} {self.where()}"
        assert levers(rig) == self.everyday, f"{levers(rig)}, not {self.everyday}: {self.where()}"
        assert not self.issue(), f"repair issue left: {self.where()}"
        for task in self.cancels:
            assert task.done(), f"a cancel never answered: {self.where()}"
            error = None if task.cancelled() else task.exception()
            assert error is None or getattr(error, "translation_key", None), repr(error)


type Station = Callable[[int], AbstractAsyncContextManager[CloudRig]]


@pytest.fixture
def station(
    hass: HomeAssistant,
    socket_enabled: None,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    scenario: str,
) -> Station:
    """Makes a fresh twin, portal and cloud entry for each script (as ``portal`` and ``rig``
    in the calibration's cloud tests make theirs)."""

    @asynccontextmanager
    async def make(index: int) -> AsyncIterator[CloudRig]:
        portal = everyday_portal(build_twin(scenario, inverters=2, packs=6, seed=index))
        await portal.start()
        entry = owner_entry(portal)
        entry.add_to_hass(hass)
        rig = CloudRig.attach(hass, portal, entry, freezer, hass_storage)
        try:
            assert await hass.config_entries.async_setup(entry.entry_id)
            await rig.step(SCAN_S)
            yield rig
            if entry.state is ConfigEntryState.LOADED:
                await rig.unload()
            await hass.config_entries.async_remove(entry.entry_id)
            await hass.async_block_till_done()
        finally:
            await portal.stop()

    return make


@pytest.mark.timeout(max(1800, COUNT * 20))
async def test_the_promise_holds_under_interleaved_faults_over_the_cloud(
    station: Station,
) -> None:
    """Every drawn script keeps the invariant after every step and converges at the end."""
    scripts = draw_scripts(OPS, DEFECT_SCRIPTS)
    assert len(scripts) >= len(DEFECT_SCRIPTS)
    failures: list[str] = []
    for index, script in enumerate(scripts):
        async with station(index) as rig:
            try:
                await play(Case(rig=rig, script=script), index, script)
            except AssertionError as err:
                failures.append(f"script {index}: {str(err).splitlines()[0]}")
    assert not failures, "\n".join(failures)
