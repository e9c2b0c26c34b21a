"""``soc_capped`` through lxp-bridge: charge SoC limits that would end the charge at 90/95 %.

The twin's units hold the hybrid family's system charge SoC limit (register 227) at 95 % and
the AC-charge SoC limit (register 67) at 90 %: left alone, a grid charge stops when the bank
reads 90 %, before any pack re-anchors (simulator/README.md, Scenarios). A correct grid
calibration raises both for the run, re-anchors every pack and puts both back; the solar
method writes nothing, so a system limit below full refuses it at the pre-flight, naming it.

In process on Home Assistant's mocked MQTT client (``twin_rig.Rig``), with lxp-bridge's face:
time moves only with the twin. (The PI-family bridges have no such setting.)
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from homeassistant.exceptions import ServiceValidationError

from custom_components.eg4.calibration import CHARGE_LIMITS
from custom_components.eg4.model import SettingKey
from simulator import LxpBridgeFace, build_twin

from .calibration_view import SUCCESS_PHASES
from .test_calibration_twin import EVERYDAY, close_mqtt_socket  # noqa: F401 - fixture
from .test_lxp_bridge_e2e import DATALOGS, LXP
from .twin_rig import Rig, StartRig

UNITS = (1, 2)
LIMIT_REGISTERS = (67, 227)
EVERYDAY_LIMITS = {67: [90, 90], 227: [95, 95]}


@pytest.fixture
async def rig(
    start_rig: StartRig,
) -> AsyncIterator[Rig]:
    """The eg4 entry on lxp-bridge over the mocked client; the soc_capped twin behind it."""
    twin = build_twin("soc_capped", inverters=2, packs=6, seed=0)
    async with start_rig(
        LXP,
        twin,
        title=LXP.title,
        unique_id="twin:lxp_bridge",
        kind=Rig,
    ) as rig:
        yield rig


def limits(rig: Rig) -> dict[int, list[int | None]]:
    """Registers 67 and 227 of each unit, as the face reports them."""
    face = rig.face
    assert isinstance(face, LxpBridgeFace)
    return {
        register: [face.register_value(unit, register) for unit in UNITS]
        for register in LIMIT_REGISTERS
    }


def limit_commands(rig: Rig) -> list[tuple[str, str]]:
    """The commands that reached the face for registers 67 and 227, in order."""
    return [
        (topic, payload)
        for topic, payload in rig.commands
        if topic.rsplit("/", 1)[-1] in {str(r) for r in LIMIT_REGISTERS}
    ]


async def test_soc_capped_limits_are_raised_for_the_run_and_restored(rig: Rig) -> None:
    """Both limits raised (67 to 100, 227 to 101), every pack re-anchored, both back at 90/95."""
    await rig.advance(60)
    assert limits(rig) == EVERYDAY_LIMITS
    dry = await rig.call("run_calibration", dry_run=True)
    assert dry is not None
    assert dry["preflight"]["ok"] is True
    raised = {
        (item["setting"], item["unit"]): (item["from"], item["to"])
        for item in dry["plan"]
        if item["setting"] in {SettingKey.CHARGE_SOC_LIMIT, SettingKey.AC_CHARGE_SOC_LIMIT}
    }
    assert raised == {
        ("charge_soc_limit", 1): (95.0, CHARGE_LIMITS[SettingKey.CHARGE_SOC_LIMIT]),
        ("charge_soc_limit", 2): (95.0, 101.0),
        ("ac_charge_soc_limit", 1): (90.0, 100.0),
        ("ac_charge_soc_limit", 2): (90.0, 100.0),
    }
    assert rig.commands == []  # a dry run writes nothing

    response = await rig.call("run_calibration")
    assert response is not None
    assert response["plan"] == dry["plan"]
    await rig.drive(lambda: rig.phase == "bulk", limit_s=900, what="bulk")
    assert limits(rig) == {67: [100, 100], 227: [101, 101]}
    took = await rig.drive(lambda: rig.supervisor.run is None, limit_s=6 * 3600, what="the end")

    last = rig.supervisor.last
    assert last["outcome"] == "succeeded", last
    assert [entry["phase"] for entry in last["phases"]] == SUCCESS_PHASES
    # The charge went on past 90 and 95 %: every pack of the twin re-anchored.
    assert all(pack.bms.anchors >= 1 for pack in rig.twin.packs)
    assert all(soc >= 99 for soc in rig.twin.soc_readings()), rig.twin.soc_readings()
    assert 2 * 3600 < took < 4 * 3600
    # Everything back, confirmed by the bridge's echo.
    assert limits(rig) == EVERYDAY_LIMITS
    assert rig.priorities() == EVERYDAY
    assert limit_commands(rig) == [
        *[(f"lxp/cmd/{dl}/set/hold/227", "101") for dl in DATALOGS],
        *[(f"lxp/cmd/{dl}/set/hold/67", "100") for dl in DATALOGS],
        *[(f"lxp/cmd/{dl}/set/hold/67", "90") for dl in DATALOGS],
        *[(f"lxp/cmd/{dl}/set/hold/227", "95") for dl in DATALOGS],
    ]
    assert rig.state("last_calibration_result").state == "succeeded"


async def test_soc_capped_solar_method_is_refused_naming_the_limit(rig: Rig) -> None:
    """The solar method writes nothing: the system limit at 95 % would end the charge early."""
    await rig.advance(60)
    with pytest.raises(ServiceValidationError) as err:
        await rig.call("run_calibration", method="solar")
    assert err.value.translation_key == "plan_charge_limited"
    assert err.value.translation_placeholders == {
        "setting": "charge_soc_limit",
        "value": "inverter_1 95, inverter_2 95",
        "limit": "101",
    }
    assert "charge_soc_limit" in str(err.value)
    assert rig.commands == []
    assert rig.supervisor.run is None
    assert limits(rig) == EVERYDAY_LIMITS
