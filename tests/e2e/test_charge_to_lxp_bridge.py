"""``eg4.charge_to`` through lxp-bridge (the hybrid family: register 101, the AC-charge bit).

In process and deterministic on Home Assistant's mocked MQTT client (``twin_rig.Rig``): the
twin's healthy bank (six 100 Ah packs at 60 %, two hybrid units, 21:00) seen through the
lxp-bridge face, every unit reporting the whole bank (``bat_capacity`` 600 Ah) on its BMS port.
The action publishes the planned current (``set/hold/101``) and the AC-charge lever on every
datalog, the twin's echo confirms them, the run stops at the target and publishes the old
values back, confirmed by read-back; a restart mid-run reverts.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from homeassistant.core import HomeAssistant

from simulator import ChargerPriority, LxpBridgeFace, OutputPriority, Twin, build_twin
from simulator.faults import NakRule
from simulator.portal_models import WHOLE_AMPS_0_250
from simulator.twin import TwinConfig

from .system import ProfileSpec
from .test_lxp_bridge_e2e import DATALOGS, LXP_DATA
from .twin_rig import STEP_S, Rig, StartRig, deadline_in

EVERYDAY = [(OutputPriority.SBU, ChargerPriority.SOLAR_FIRST)] * 2
CHARGING = [(OutputPriority.SUB, ChargerPriority.SOLAR_AND_UTILITY)] * 2


def lxp_face(twin: Twin) -> LxpBridgeFace:
    """The twin as lxp-bridge publishes it: one datalog per unit, hybrid firmware (whole amps)."""
    return LxpBridgeFace(twin, datalogs=DATALOGS, currents=WHOLE_AMPS_0_250)


LXP = ProfileSpec(
    name="lxp_bridge",
    title="EG4 via lxp-bridge (lxp)",
    data=LXP_DATA,
    make_face=lxp_face,
    pack_topics={},
    inverter_topics={},
)

pytestmark = pytest.mark.wall_clock  # run again near midnight and DST changes (scripts/test)


@pytest.fixture
async def rig(start_rig: StartRig) -> AsyncIterator[Rig]:
    """The eg4 entry on lxp-bridge's face of a healthy twin at 60 %, 21:00 (no sun)."""
    twin = build_twin("healthy", inverters=2, packs=6, seed=0, config=TwinConfig(start_hour=21))
    async with start_rig(LXP, twin, title=LXP.title, unique_id="twin:lxp", kind=Rig) as rig:
        yield rig


def charge_currents(rig: Rig) -> list[float]:
    """Each unit's charge current setting in the twin (register 101)."""
    return [inv.settings.max_charge_current_a for inv in rig.twin.inverters]


def sent(rig: Rig, since: int) -> list[tuple[str, str]]:
    """The commands the integration published since ``since`` (no reads)."""
    return [(t, p) for t, p in rig.published()[since:] if "/cmd/" in t and "/read/" not in t]


async def test_reaches_the_target_at_the_planned_current_and_puts_it_back(rig: Rig) -> None:
    """Register 101 and the AC-charge bit on each datalog, held to the target, then put back."""
    before = charge_currents(rig)
    mark = len(rig.published())
    response = await rig.call("charge_to", target_soc=80, deadline=deadline_in(4))
    assert response is not None
    charge = response["charge"]
    # 600 Ah from 60 % to 80 % in 4 h: 20 % of 600 Ah / 0.97 / 4 h is 31 A; the lowest whole
    # amp per unit that gets there is 16 A (32 A for the bank).
    assert charge["per_unit_current_a"] == 16
    assert charge["current_a"] == 32
    assert charge["duration_min"] <= 4 * 60
    assert charge["capacity_ah"] == 600
    assert rig.stored is not None
    assert rig.stored["run"]["kind"] == "charge_to"

    await rig.drive(lambda: rig.phase == "bulk", limit_s=900, what="charging")
    assert sent(rig, mark) == [
        *[(f"lxp/cmd/{dl}/set/hold/101", "16") for dl in DATALOGS],
        *[(f"lxp/cmd/{dl}/set/ac_charge", "true") for dl in DATALOGS],
    ]
    assert rig.priorities() == CHARGING
    assert charge_currents(rig) == [16, 16]  # the twin's own registers, read back
    mark = len(rig.published())
    # The echo confirms the revert at once: the run ends in the step that reads the target.
    took = await rig.drive(lambda: rig.supervisor.run is None, limit_s=4 * 3600 + 600)
    assert took <= 4 * 3600

    assert sent(rig, mark)[-6:] == [  # after the re-plans' currents, the revert
        *[(f"lxp/cmd/{dl}/set/ac_charge", "false") for dl in DATALOGS],
        *[(f"lxp/cmd/{dl}/set/hold/67", "100") for dl in DATALOGS],  # as it was
        *[(f"lxp/cmd/{dl}/set/hold/101", f"{before[0]:g}") for dl in DATALOGS],
    ]
    assert rig.priorities() == EVERYDAY
    assert charge_currents(rig) == before  # confirmed by the echo
    last = rig.supervisor.last_charge_to
    assert last["outcome"] == "succeeded"
    assert last["reason"] == "completed"
    assert last["reached_at"] <= last["deadline"]
    # The first plan counted the bank's real 600 Ah: the later plans never had to ask for more.
    assert last["schedule"][0]["per_unit_current_a"] == 16
    assert max(entry["per_unit_current_a"] for entry in last["schedule"]) == 16
    # The bank's SoC moves in whole points: the re-plans do not step the current down and up
    # again every 15 minutes (each a write to both inverters' settings memory).
    assert len(last["schedule"]) <= 2, last["schedule"]


async def test_restart_mid_run_reverts_at_startup(hass: HomeAssistant, rig: Rig) -> None:
    """Stored as active while every command is refused: the next start puts it all back."""
    before = charge_currents(rig)
    response = await rig.call("charge_to", target_soc=90, deadline=deadline_in(6))
    assert response is not None
    await rig.drive(lambda: rig.phase == "bulk", limit_s=900, what="charging")
    for _ in range(15):  # half an hour of charging
        await rig.advance(120)
    assert rig.phase == "bulk"

    refuse = NakRule(remaining=None)
    rig.twin.faults.nak_rules.append(refuse)
    await rig.unload()
    await rig.advance(STEP_S, publish=False)
    assert rig.priorities() == CHARGING
    assert rig.stored is not None
    assert rig.stored["run"]["kind"] == "charge_to"
    rig.twin.faults.nak_rules.remove(refuse)

    mark = len(rig.published())
    await rig.set_up_again()
    await rig.until_no_run()
    assert rig.supervisor.run is None
    assert {(t, p) for t, p in sent(rig, mark)} >= {
        *[(f"lxp/cmd/{dl}/set/ac_charge", "false") for dl in DATALOGS],
        *[(f"lxp/cmd/{dl}/set/hold/101", f"{before[0]:g}") for dl in DATALOGS],
    }
    assert rig.priorities() == EVERYDAY
    assert charge_currents(rig) == before
    last = rig.supervisor.last_charge_to
    assert last["run_id"] == response["run_id"]
    assert last["interrupted"] is True
    assert last["outcome"] == "aborted"
    assert rig.stored["run"] is None
