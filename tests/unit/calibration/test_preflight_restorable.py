"""The pre-flight checks that every saved value can be written back (issue 11).

Solar Assistant reporting charger priority "Utility first" (or powermon reporting output
priority USB) passed the pre-flight; the plan saved it, and the revert was then refused by the
write validation: the inverters stayed on the calibration's grid charge. The pre-flight now
runs every ``from`` value through ``settings.validate`` with the transport's setting
definitions, and refuses naming the unit, the setting and the value.
"""

from __future__ import annotations

from collections.abc import Mapping

from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.eg4.calibration import CLOUD_FAMILY_LEVERS, PI_FAMILY_LEVERS
from custom_components.eg4.model import (
    ChargerPriority,
    OutputPriority,
    SettingKey,
    SettingValue,
    SystemState,
)
from custom_components.eg4.profiles import build_profile
from custom_components.eg4.refusal import RefusedError
from custom_components.eg4.safety import Check, CheckFailure, preflight
from custom_components.eg4.settings import (
    AC_CHARGE_SOC_LIMIT,
    STOP_CHARGE_VOLTAGE,
    OptionSetting,
    SettingDef,
    validate,
)

from ..helpers import POWERMON_CONFIG, SA_CONFIG
from .factory import T0, bank

PROPERTY = settings(max_examples=300, deadline=None, derandomize=True)
SA = build_profile(SA_CONFIG).capabilities.writable
POWERMON = build_profile(POWERMON_CONFIG).capabilities.writable
CLOUD: Mapping[SettingKey, SettingDef] = {
    SettingKey.AC_CHARGE_SOC_LIMIT: AC_CHARGE_SOC_LIMIT,
    SettingKey.CHARGER_PRIORITY: OptionSetting(
        key=SettingKey.CHARGER_PRIORITY,
        options=(ChargerPriority.SOLAR_FIRST, ChargerPriority.SOLAR_AND_UTILITY),
    ),
}


def check(
    state: SystemState,
    writable: Mapping[SettingKey, SettingDef],
    levers: Mapping[SettingKey, SettingValue] = PI_FAMILY_LEVERS,
) -> list[CheckFailure]:
    return preflight(state, now=T0 + 10, required_settings=levers, writable=writable)


def test_solar_assistant_utility_first_is_refused_before_anything_is_written() -> None:
    state = bank(4)
    state.inverters[2].settings[SettingKey.CHARGER_PRIORITY] = ChargerPriority.UTILITY_FIRST
    state.inverters[1].settings[SettingKey.CHARGER_PRIORITY] = ChargerPriority.UTILITY_FIRST
    failures = check(state, SA)
    assert [f.check for f in failures] == [Check.SETTING_NOT_RESTORABLE]
    assert failures[0].placeholders == {
        "settings": "charger_priority",
        "units": "inverter_1, inverter_2",
        "values": (
            "inverter_1 charger_priority: utility_first (invalid_option); "
            "inverter_2 charger_priority: utility_first (invalid_option)"
        ),
    }


def test_powermon_reporting_output_priority_usb_is_refused() -> None:
    state = bank(6)
    for inverter in state.inverters.values():
        inverter.settings[SettingKey.OUTPUT_PRIORITY] = OutputPriority.USB
    (failure,) = check(state, POWERMON)
    assert failure.check is Check.SETTING_NOT_RESTORABLE
    assert "inverter_1 output_priority: usb (invalid_option)" in failure.placeholders["values"]


def test_solar_assistant_can_write_utility_first_output_priority_back() -> None:
    """USB is one of Solar Assistant's output priority commands: nothing to refuse."""
    state = bank(4)
    for inverter in state.inverters.values():
        inverter.settings[SettingKey.OUTPUT_PRIORITY] = OutputPriority.USB
    assert check(state, SA) == []


def test_a_lever_the_transport_cannot_write_is_not_restorable() -> None:
    state = bank(2)
    writable = {SettingKey.CHARGER_PRIORITY: SA[SettingKey.CHARGER_PRIORITY]}
    (failure,) = check(state, writable)
    assert failure.placeholders["values"] == (
        "inverter_1 output_priority: sbu (not_writable); "
        "inverter_2 output_priority: sbu (not_writable)"
    )


def test_a_cloud_soc_limit_off_the_step_is_refused() -> None:
    state = bank(2, settings={SettingKey.CHARGER_PRIORITY: ChargerPriority.SOLAR_FIRST})
    state.inverters[1].settings[SettingKey.AC_CHARGE_SOC_LIMIT] = 90.0
    state.inverters[2].settings[SettingKey.AC_CHARGE_SOC_LIMIT] = 90.0
    assert check(state, CLOUD, CLOUD_FAMILY_LEVERS) == []
    state.inverters[2].settings[SettingKey.AC_CHARGE_SOC_LIMIT] = 90.5
    failures = check(state, CLOUD, CLOUD_FAMILY_LEVERS)
    assert Check.SETTING_NOT_RESTORABLE in [f.check for f in failures]
    restorable = next(f for f in failures if f.check is Check.SETTING_NOT_RESTORABLE)
    assert restorable.placeholders["values"] == (
        "inverter_2 ac_charge_soc_limit: 90.5 (not_on_step)"
    )


def test_only_the_levers_are_checked() -> None:
    """A stop-charge voltage the firmware would refuse is not the calibration's business."""
    state = bank(2)
    for inverter in state.inverters.values():
        inverter.settings[SettingKey.STOP_CHARGE_VOLTAGE] = 60.0
    writable = {**SA, SettingKey.STOP_CHARGE_VOLTAGE: STOP_CHARGE_VOLTAGE}
    assert check(state, writable) == []


def test_without_setting_definitions_nothing_is_validated() -> None:
    """Backward compatible: callers that do not pass ``writable`` get the old pre-flight."""
    state = bank(2)
    state.inverters[1].settings[SettingKey.CHARGER_PRIORITY] = ChargerPriority.UTILITY_FIRST
    failures = preflight(state, now=T0 + 10, required_settings=PI_FAMILY_LEVERS)
    assert [f.check for f in failures] == [Check.SETTINGS_OUT_OF_SYNC]


def test_unknown_values_are_left_to_setting_unknown() -> None:
    state = bank(2)
    del state.inverters[1].settings[SettingKey.CHARGER_PRIORITY]
    assert [f.check for f in check(state, SA)] == [Check.SETTING_UNKNOWN]


@PROPERTY
@given(
    charger=st.lists(st.sampled_from(list(ChargerPriority)), min_size=2, max_size=2),
    output=st.lists(st.sampled_from(list(OutputPriority)), min_size=2, max_size=2),
    profile=st.sampled_from(["sa", "powermon"]),
)
def test_refused_exactly_when_the_write_validation_would_refuse_the_revert(
    charger: list[ChargerPriority], output: list[OutputPriority], profile: str
) -> None:
    writable = SA if profile == "sa" else POWERMON
    state = bank(2)
    for n, inverter in state.inverters.items():
        inverter.settings[SettingKey.CHARGER_PRIORITY] = charger[n - 1]
        inverter.settings[SettingKey.OUTPUT_PRIORITY] = output[n - 1]
    refused = []
    for key in PI_FAMILY_LEVERS:
        for n, inverter in sorted(state.inverters.items()):
            try:
                validate(writable[key], inverter.settings[key], state)
            except RefusedError:
                refused.append(f"inverter_{n} {key.value}")
    failures = [f for f in check(state, writable) if f.check is Check.SETTING_NOT_RESTORABLE]
    named = (
        []
        if not failures
        else [v.split(":")[0] for v in failures[0].placeholders["values"].split("; ")]
    )
    assert named == refused
