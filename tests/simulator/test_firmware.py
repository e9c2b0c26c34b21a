"""Firmware validation, protocol encodings and fault injection."""

from __future__ import annotations

import pytest

from simulator import Command, OutputPriority, Setting, build_twin
from simulator.protocols import EncodingError, Protocol, decode, encode
from simulator.settings import ChargerPriority, InverterSettings, validate

STOP = Setting.REDISCHARGE_VOLTAGE


def test_stop_charge_above_float_is_rejected_and_not_applied() -> None:
    twin = build_twin("healthy")
    result = twin.submit([1, 2], Command.single(STOP, 54.5))
    assert not result.accepted
    assert "above float" in result.reason
    assert all(inv.settings.redischarge_v == 54.0 for inv in twin.inverters)
    assert twin.journal[-1].accepted is False


def test_stop_charge_zero_full_is_rejected() -> None:
    twin = build_twin("healthy")
    result = twin.submit([1], Command.single(STOP, 0.0))
    assert not result.accepted
    assert "0 (full)" in result.reason
    assert twin.inverter(1).settings.redischarge_v == 54.0


def test_stop_charge_equal_to_float_is_accepted() -> None:
    twin = build_twin("healthy")
    assert twin.submit([1, 2], Command.single(STOP, 54.0)).accepted
    assert all(inv.settings.redischarge_v == 54.0 for inv in twin.inverters)


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        (Setting.MAX_CHARGE_CURRENT, 65),
        (Setting.MAX_CHARGE_CURRENT, 90),
        (Setting.MAX_UTILITY_CHARGE_CURRENT, 5),
        (Setting.BULK_VOLTAGE, 53.0),  # below float
        (Setting.FLOAT_VOLTAGE, 52.0),  # below stop-charge
        (Setting.RECHARGE_VOLTAGE, 53.5),  # not below stop-charge
        (Setting.BULK_VOLTAGE, 60.0),
        (Setting.OUTPUT_PRIORITY, ChargerPriority.SOLAR_FIRST),
    ],
)
def test_invalid_values_are_rejected(setting: Setting, value: object) -> None:
    assert validate(InverterSettings(), Command.single(setting, value)) is not None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        (Setting.MAX_CHARGE_CURRENT, 60),
        (Setting.MAX_UTILITY_CHARGE_CURRENT, 2),
        (Setting.BULK_VOLTAGE, 54.0),
        (Setting.OUTPUT_PRIORITY, OutputPriority.USB),
    ],
)
def test_valid_values_are_accepted(setting: Setting, value: object) -> None:
    assert validate(InverterSettings(), Command.single(setting, value)) is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("raw", "setting", "value", "unit"),
    [
        ("POP0", Setting.OUTPUT_PRIORITY, OutputPriority.SUB, None),
        ("POP1", Setting.OUTPUT_PRIORITY, OutputPriority.SBU, None),
        ("PCP1,1", Setting.CHARGER_PRIORITY, ChargerPriority.SOLAR_AND_UTILITY, 1),
        ("MCHGC0,060", Setting.MAX_CHARGE_CURRENT, 60, 0),
        ("MUCHGC1,030", Setting.MAX_UTILITY_CHARGE_CURRENT, 30, 1),
    ],
)
def test_pi18_decode(raw: str, setting: Setting, value: object, unit: int | None) -> None:
    decoded = decode(Protocol.PI18, raw)
    assert decoded.unit == unit
    assert decoded.command == Command.single(setting, value)  # type: ignore[arg-type]


def test_pi18_bucd_and_mchgv_carry_both_values() -> None:
    s = InverterSettings()
    raw = encode(Protocol.PI18, 0, Command.single(STOP, 53.5), s)
    assert raw == "BUCD480,535"
    assert decode(Protocol.PI18, raw).command.changes == (
        (Setting.RECHARGE_VOLTAGE, 48.0),
        (Setting.REDISCHARGE_VOLTAGE, 53.5),
    )
    assert encode(Protocol.PI18, 0, Command.single(Setting.BULK_VOLTAGE, 56.4), s) == (
        "MCHGV564,540"
    )


@pytest.mark.parametrize("raw", ["POP02", "PCP01", "MCHGC060", "PBDV53.0", "pop1", "POP2", ""])
def test_pi18_device_naks_other_encodings(raw: str) -> None:
    with pytest.raises(EncodingError):
        decode(Protocol.PI18, raw)
    twin = build_twin("healthy")
    result = twin.submit_raw({1: raw})
    assert not result.accepted
    assert result.reason.startswith("NAK")
    assert twin.inverter(1).settings == InverterSettings()


def test_pi30_round_trip() -> None:
    s = InverterSettings()
    for command in (
        Command.single(Setting.OUTPUT_PRIORITY, OutputPriority.USB),
        Command.single(Setting.CHARGER_PRIORITY, ChargerPriority.SOLAR_ONLY),
        Command.single(STOP, 0.0),
        Command.single(Setting.MAX_CHARGE_CURRENT, 60),
    ):
        raw = encode(Protocol.PI30, 1, command, s)
        assert decode(Protocol.PI30, raw).command == command
    assert encode(Protocol.PI30, 0, Command.single(STOP, 0.0), s) == "PBDV00.0"


def test_pi18_cannot_express_utility_first() -> None:
    with pytest.raises(EncodingError):
        encode(
            Protocol.PI18, 0, Command.single(Setting.OUTPUT_PRIORITY, OutputPriority.USB),
            InverterSettings(),
        )  # fmt: skip


def test_nak_next_rejects_whole_commands_then_recovers() -> None:
    twin = build_twin("healthy")
    twin.faults.nak_next(2)
    cmd = Command.single(Setting.MAX_CHARGE_CURRENT, 60)
    assert not twin.submit([1, 2], cmd).accepted
    assert not twin.submit([1, 2], cmd).accepted
    assert all(inv.settings.max_charge_current_a == 80 for inv in twin.inverters)
    assert twin.submit([1, 2], cmd).accepted
    assert all(inv.settings.max_charge_current_a == 60 for inv in twin.inverters)


def test_nak_on_one_unit_gives_a_partial_failure() -> None:
    twin = build_twin("healthy")
    twin.faults.nak_next(1, unit=2)
    result = twin.submit([1, 2], Command.single(Setting.OUTPUT_PRIORITY, OutputPriority.SUB))
    assert not result.accepted
    assert [r.accepted for r in result.results] == [True, False]
    assert twin.inverter(1).settings.output_priority is OutputPriority.SUB
    assert twin.inverter(2).settings.output_priority is OutputPriority.SBU


def test_nak_a_setting_forever() -> None:
    twin = build_twin("healthy")
    twin.faults.nak_setting(Setting.CHARGER_PRIORITY)
    cmd = Command.single(Setting.CHARGER_PRIORITY, ChargerPriority.SOLAR_AND_UTILITY)
    for _ in range(3):
        assert not twin.submit([1], cmd).accepted
    assert twin.submit([1], Command.single(Setting.MAX_CHARGE_CURRENT, 50)).accepted


def test_delay_injection_applies_later() -> None:
    twin = build_twin("healthy")
    twin.faults.delay(120.0, count=1)
    result = twin.submit([1, 2], Command.single(Setting.OUTPUT_PRIORITY, OutputPriority.SUB))
    assert result.accepted
    assert result.results[0].apply_at_s == pytest.approx(120.0)
    twin.step(100.0)
    assert twin.inverter(1).settings.output_priority is OutputPriority.SBU
    twin.step(30.0)
    assert all(inv.settings.output_priority is OutputPriority.SUB for inv in twin.inverters)
    # Count used up: the next write is immediate.
    assert twin.submit([1, 2], Command.single(Setting.MAX_CHARGE_CURRENT, 70)).accepted
    assert twin.inverter(2).settings.max_charge_current_a == 70
