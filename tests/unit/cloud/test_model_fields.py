"""Which portal field each reading comes from, per model (issue 13's weak spots).

- Load power: the models fill different fields. FlexBOSS units report 0 in
  ``consumptionPower`` and ``consumptionPower114`` and the load in ``pLoad170`` (the mirror of
  register 170); the 18kPV mirrors it in ``consumptionPower114``; off-grid XP units fill none
  of them, so the load is the AC balance (inverter output + import - rectifier - export).
- A GridBOSS (login ``deviceType`` 9, ``HOLD_DEVICE_TYPE_CODE`` 50, model text "Grid Boss")
  has its own family: it is never an inverter of unknown family.
"""

from __future__ import annotations

import pytest

from custom_components.eg4.cloud import (
    InverterRef,
    ModelFamily,
    model_family,
    parse,
    supported_keys,
)

from .portal import fixture


@pytest.mark.parametrize(
    ("name", "load"),
    [
        ("runtime_flexboss_pload170.json", 2365.0),  # consumptionPower(114) 0, pLoad170 filled
        ("runtime_18kpv_consumption114.json", 2395.0),  # consumptionPower 0, 114 filled
        ("runtime_offgrid_xp.json", 1490.0),  # no load field: pinv + pToUser - prec - pToGrid
        ("runtime.json", 2100.0),  # both filled: register 170 (114) before consumptionPower
        ("runtime_inconsistent_balance.json", None),  # nothing filled, a negative balance
    ],
)
def test_load_power_from_the_field_the_model_fills(name: str, load: float | None) -> None:
    assert parse.runtime("x", fixture(name)).load_power == load


@pytest.mark.parametrize(
    ("to_user", "to_grid", "grid"),
    [(312, 0, 312.0), (0, 215, -215.0), (0, 0, 0.0), (None, 215, None)],
    ids=["importing", "exporting", "neither", "half-reported"],
)
def test_grid_power_is_positive_importing_and_negative_exporting(
    to_user: int | None, to_grid: int, grid: float | None
) -> None:
    body = {"pToUser": to_user, "pToGrid": to_grid}
    assert parse.runtime("x", body).grid_power == grid


@pytest.mark.parametrize(
    ("body", "power"),
    [
        ({"batPower": -800, "pCharge": 0, "pDisCharge": 750}, -800.0),  # batPower first
        ({"pCharge": 1045, "pDisCharge": 0}, 1045.0),
        ({"pCharge": 0, "pDisCharge": 900}, -900.0),
        ({"pCharge": 1045}, None),  # half a pair says nothing
    ],
    ids=["bat-power-first", "charging", "discharging", "half-reported"],
)
def test_battery_power_from_bat_power_else_charge_less_discharge(
    body: dict[str, int], power: float | None
) -> None:
    assert parse.runtime("x", {**body, "vBat": 530}).battery_power == power


def test_a_quiet_house_reads_zero_not_unknown() -> None:
    body = {"consumptionPower": 0, "pinv": 0, "pToUser": 0, "prec": 0, "pToGrid": 0}
    assert parse.runtime("x", body).load_power == 0.0
    # A load field at 0 and no balance to say otherwise: 0; no load field and no balance: unknown.
    assert parse.runtime("x", {"consumptionPower": 0}).load_power == 0.0
    assert parse.runtime("x", {"pinv": 500}).load_power is None


def test_a_plant_is_known_by_its_plant_id_else_its_row_id() -> None:
    rows = [{"plantId": 42017, "id": 1}, {"id": 42101}, {"name": "no id"}, {"plantId": "x"}]
    assert [p.plant_id for p in parse.plant_list({"rows": rows})] == [42017, 42101]


def test_bms_current_of_the_bank() -> None:
    """The BMS's own current (18.1 A), not batPower / vBat (1045 W / 53.0 V = 19.7 A)."""
    info = parse.battery("x", fixture("battery_bms_current.json"))
    assert info.current == pytest.approx(18.1)
    assert info.power == 1045


@pytest.mark.parametrize(
    ("direction", "power", "current"),
    [("charge", -50, 12.5), ("discharge", 50, -12.5), ("unknown", -600, -12.5), ("", 600, 12.5)],
)
def test_bms_current_sign(direction: str, power: int, current: float) -> None:
    """The sign follows currentType; when that is unknown, the bank power's sign."""
    body = {"currentText": "12.5", "currentType": direction, "batPower": power}
    assert parse.battery("x", body).current == current


def test_bms_current_without_a_direction_or_power_is_unknown() -> None:
    assert parse.battery("x", {"currentText": "12.5", "currentType": "unknown"}).current is None
    assert parse.battery("x", {"currentText": "0.0", "currentType": "unknown"}).current == 0.0


@pytest.mark.parametrize(
    ("model", "code"),
    [
        ("Grid Boss", None),
        ("GridBOSS", None),
        ("GRID-BOSS", 50),
        (None, 50),
        (None, "50"),
        ("MIDBOX", None),
    ],
)
def test_gridboss_has_its_own_family(model: str | None, code: int | str | None) -> None:
    assert model_family(model, code) is ModelFamily.GRIDBOSS
    assert supported_keys(ModelFamily.GRIDBOSS) == ()


def test_gridboss_recognised_by_its_model_text_too() -> None:
    assert InverterRef(serial="1", model="Grid Boss").is_gridboss
    assert InverterRef(serial="1", device_type=9).is_gridboss
    assert not InverterRef(serial="1", model="FlexBOSS21", device_type=6).is_gridboss


def test_the_ac_balance_counts_each_flow_with_its_sign() -> None:
    """Inverter output plus import, less what the rectifier takes and what is exported."""
    body = {"pinv": 2000, "pToUser": 300, "prec": 500, "pToGrid": 100}
    assert parse.runtime("x", body).load_power == 1700.0


def test_the_bms_current_limits_are_in_hundredths_of_an_amp() -> None:
    limits = parse.runtime("x", {"maxChgCurr": 20000, "maxDischgCurr": 15050})
    assert (limits.bms_max_charge_current, limits.bms_max_discharge_current) == (200.0, 150.5)


@pytest.mark.parametrize(
    ("value", "read"),
    [
        *[(True, True), (1, True), (0, False), (0.0, False), ("true", True), (" FALSE ", False)],
        *[(2, None), (-1, None), ("maybe", None), (None, None)],
    ],
)
def test_a_flag_is_a_bool_from_json_bools_0_1_or_words(value: object, read: bool | None) -> None:
    assert parse.flag(value) is read


def test_an_inverter_is_named_by_its_app_model_text_else_its_device_type_text() -> None:
    inverters = [
        {"serialNum": "1111111111", "deviceTypeText4APP": "18KPV", "deviceTypeText": "x"},
        {"serialNum": "2222222222", "deviceTypeText": "FlexBOSS21"},
    ]
    (plant,) = parse.account({"plants": [{"plantId": 1, "inverters": inverters}]}).plants
    assert [i.model for i in plant.inverters] == ["18KPV", "FlexBOSS21"]


@pytest.mark.parametrize(("bat_index", "index"), [(3, 3), (0, 0), (999, 999), (1000, 1), (-1, 1)])
def test_a_pack_is_numbered_by_its_bat_index_else_its_place(bat_index: int, index: int) -> None:
    rows = [{"batIndex": 0}, {"batIndex": bat_index}]
    assert parse.battery("x", {"batteryArray": rows}).packs[1].index == index
