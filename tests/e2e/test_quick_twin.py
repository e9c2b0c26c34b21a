"""``eg4.forced_discharge`` on lxp-bridge, and both quick actions refused where there are none.

In process and deterministic on Home Assistant's mocked MQTT client (``twin_rig.Rig``): the
twin's lxp-bridge face answers the published commands (``set/hold/84`` / ``85`` for the
forced-discharge window, ``set/forced_discharge`` for register 21 bit 10) with its echoes, and
runs the forced discharge while the bit is on and its clock is inside the window. The PI
family (powermon + lvx-control, Solar Assistant) has neither action: a translated refusal,
nothing published.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError

from simulator import build_twin
from simulator.faces.lxp_forced import ForcedDischarge
from simulator.faults import NakRule
from simulator.inverter import QuickTask
from simulator.twin import TwinConfig

from .system import PROFILES
from .test_lxp_bridge_e2e import LXP
from .twin_rig import STEP_S, Rig, StartRig

DL = ("BA12345678", "BA87654321")
WHOLE_DAY = 23 | 59 << 8  # 23:59, packed as register 85 holds it


@pytest.fixture
async def rig(start_rig: StartRig) -> AsyncIterator[Rig]:
    """The lxp-bridge entry on a healthy twin (60 %, 21:00), its face answering."""
    twin = build_twin("healthy", inverters=2, packs=6, seed=0, config=TwinConfig(start_hour=21))
    async with start_rig(LXP, twin, title=LXP.title, unique_id="twin:lxp", kind=Rig) as rig:
        yield rig


def forced(rig: Rig) -> ForcedDischarge:
    store: ForcedDischarge = rig.face.forced  # type: ignore[attr-defined]
    return store


def tasks(rig: Rig) -> list[QuickTask | None]:
    return [inv.quick for inv in rig.twin.inverters]


def commands(rig: Rig, since: int = 0) -> list[tuple[str, str]]:
    """The commands the integration published (after the first ``since``)."""
    return [(t, p) for t, p in rig.published()[since:] if "/cmd/" in t]


async def test_forced_discharge_through_the_bridge_is_held_then_put_back(rig: Rig) -> None:
    """Window opened, bit on; after the duration: bit off first, window back, all read back."""
    sent = len(rig.published())
    response = await rig.call("forced_discharge", duration=30)
    assert response is not None
    assert (response["action"], response["duration_min"]) == ("forced_discharge", 30)
    assert rig.stored is not None
    assert rig.stored["run"]["kind"] == "quick"  # on record before the first write
    await rig.drive(lambda: rig.phase == "bulk", limit_s=900, what="the discharge")
    assert commands(rig, sent) == [  # (the window's start already reads 00:00: not sent)
        *((f"lxp/cmd/{dl}/set/hold/85", str(WHOLE_DAY)) for dl in DL),
        *((f"lxp/cmd/{dl}/set/forced_discharge", "true") for dl in DL),
    ]
    assert tasks(rig) == [QuickTask.DISCHARGE] * 2
    soc = rig.twin.bank_soc_pct
    sent = len(rig.published())

    took = await rig.drive(lambda: rig.supervisor.run is None, limit_s=3600, what="the end")
    assert 25 * 60 <= took <= 35 * 60
    assert rig.twin.bank_soc_pct < soc
    # The switch that discharges goes first, then the window (every saved value is sent,
    # whatever the cached read-back says), each confirmed by its echo.
    assert commands(rig, sent) == [
        *((f"lxp/cmd/{dl}/set/forced_discharge", "false") for dl in DL),
        *((f"lxp/cmd/{dl}/set/hold/85", "0") for dl in DL),
        *((f"lxp/cmd/{dl}/set/hold/84", "0") for dl in DL),
    ]
    assert tasks(rig) == [None] * 2
    assert all(not forced(rig).enabled[unit] for unit in (1, 2))
    assert all(forced(rig).register(unit, 85) == 0 for unit in (1, 2))
    told = rig.notifications[f"eg4_quick_{rig.entry.entry_id}"]["message"]
    assert told.startswith("The forced discharge ran its 30 min and was stopped")


async def test_quick_charge_is_the_portals_alone(rig: Rig) -> None:
    """lxp-bridge has no quick charge: refused in words, nothing published."""
    sent = len(rig.published())
    with pytest.raises(ServiceValidationError) as err:
        await rig.call("quick_charge", duration=30)
    assert err.value.translation_key == "quick_charge_unsupported"
    assert "EG4 cloud" in str(err.value)
    assert commands(rig, sent) == []


async def test_restart_mid_discharge_puts_it_back_at_startup(hass: HomeAssistant, rig: Rig) -> None:
    """Stored as active while the bridge refuses every command: the next start reverts."""
    await rig.call("forced_discharge", duration=240)
    await rig.drive(lambda: rig.phase == "bulk", limit_s=900, what="the discharge")
    refuse = NakRule(remaining=None)
    rig.twin.faults.nak_rules.append(refuse)
    await rig.unload()
    await rig.advance(STEP_S, publish=False)
    assert tasks(rig) == [QuickTask.DISCHARGE] * 2  # the bridge took nothing
    assert rig.stored is not None
    assert (rig.stored["run"]["kind"], rig.stored["run"]["phase"]) == ("quick", "bulk")
    rig.twin.faults.nak_rules.remove(refuse)

    await rig.set_up_again()
    await rig.until_no_run()
    assert rig.supervisor.run is None
    assert tasks(rig) == [None] * 2
    assert all(forced(rig).register(unit, 85) == 0 for unit in (1, 2))
    assert rig.stored is not None
    assert rig.stored["run"] is None
    assert rig.phases_fired()[-1] == "aborted"
    assert rig.events[-1].data["reason"] == "interrupted"


@pytest.fixture(params=sorted(PROFILES))
async def pi_rig(start_rig: StartRig, request: pytest.FixtureRequest) -> AsyncIterator[Rig]:
    """Each PI-family bridge on a healthy twin."""
    spec = PROFILES[request.param]
    twin = build_twin("healthy", inverters=2, packs=6, seed=0)
    async with start_rig(spec, twin, title=spec.title, unique_id="twin:pi", kind=Rig) as rig:
        yield rig


@pytest.mark.parametrize(
    ("service", "key"),
    [
        ("quick_charge", "quick_charge_unsupported"),
        ("forced_discharge", "forced_discharge_unsupported"),
    ],
)
async def test_the_pi_family_has_neither(pi_rig: Rig, service: str, key: str) -> None:
    """powermon and Solar Assistant: refused in words before anything is sent or stored."""
    sent = len(pi_rig.published())
    with pytest.raises(ServiceValidationError) as err:
        await pi_rig.call(service, duration=30)
    assert err.value.translation_key == key
    assert str(err.value).startswith("This EG4 system has no")
    assert pi_rig.published()[sent:] == []
    assert pi_rig.supervisor.run is None
    assert pi_rig.stored is None or pi_rig.stored.get("run") is None


async def test_a_refused_pre_flight_says_what_failed_and_sends_nothing(rig: Rig) -> None:
    """The bridge went quiet: a forced discharge is refused in words that say it is not a
    calibration's refusal and name the stale readings, and nothing is published."""
    await rig.advance(900, publish=False)
    sent = len(rig.published())
    with pytest.raises(ServiceValidationError) as err:
        await rig.call("forced_discharge", duration=30)
    assert err.value.translation_key == "run_preflight_failed"
    message = str(err.value)
    assert message.startswith("Refused by the pre-flight checks, and nothing was changed: ")
    assert "telemetry_stale (sources: inverter_1, inverter_2" in message
    assert rig.published()[sent:] == []
    assert rig.supervisor.run is None
