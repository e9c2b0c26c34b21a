"""The pre-flight's checks of the inverters' settings: in sync, known, and restorable.

A run saves every unit's value of every lever it will change and writes it back at the end.
Each saved value must therefore be known and pass the very validation the revert's write
will run (``settings.validate`` with the transport's definitions): Solar Assistant reporting
charger priority "Utility first", which it cannot be told, would otherwise be saved, and the
revert refused with the grid charge still on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..model import SettingKey, SystemState, setting_text
from ..refusal import RefusedError
from ..settings import SettingDef, validate
from .checks import Check, CheckFailure, joined

NOT_WRITABLE = "not_writable"  # the transport has no definition of the setting


def settings_checks(
    state: SystemState,
    required: Sequence[SettingKey],
    writable: Mapping[SettingKey, SettingDef] | None,
) -> list[CheckFailure]:
    """Out-of-sync settings, unknown levers, and (given ``writable``) unrestorable values."""
    found = [_out_of_sync(state), _unknown(state, required)]
    if writable is not None:
        found.append(_not_restorable(state, required, writable))
    return [f for f in found if f is not None]


def _out_of_sync(state: SystemState) -> CheckFailure | None:
    mismatched = state.mismatched_settings()
    if not mismatched:
        return None
    values = [
        f"{key.value}: "
        + ", ".join(
            f"inverter_{n} {setting_text(v)}" for n, v in sorted(state.setting_values(key).items())
        )
        for key in mismatched
    ]
    return CheckFailure(
        Check.SETTINGS_OUT_OF_SYNC,
        {"settings": ", ".join(k.value for k in mismatched), "values": "; ".join(values)},
    )


def _unknown(state: SystemState, required: Sequence[SettingKey]) -> CheckFailure | None:
    unknown = [
        f"{key.value}: inverter_{n}"
        for key in required
        for n, value in sorted(state.setting_values(key).items())
        if value is None
    ]
    if not state.inverters and required:
        unknown = ["inverters: none"]
    if not unknown:
        return None
    return CheckFailure(
        Check.SETTING_UNKNOWN,
        {"settings": joined(u.split(":", 1)[0] for u in unknown), "values": "; ".join(unknown)},
    )


def _not_restorable(
    state: SystemState,
    required: Sequence[SettingKey],
    writable: Mapping[SettingKey, SettingDef],
) -> CheckFailure | None:
    refused: list[tuple[str, SettingKey, str]] = []  # (unit, setting, "value (reason)")
    for key in required:
        setting = writable.get(key)
        for n, value in sorted(state.setting_values(key).items()):
            if value is None:
                continue  # unknown: SETTING_UNKNOWN says so
            if setting is None:
                reason = NOT_WRITABLE
            else:
                try:
                    validate(setting, value, state)
                except RefusedError as err:
                    reason = err.translation_key.removeprefix("rejected_")
                else:
                    continue
            refused.append((f"inverter_{n}", key, f"{setting_text(value)} ({reason})"))
    if not refused:
        return None
    return CheckFailure(
        Check.SETTING_NOT_RESTORABLE,
        {
            "settings": joined(key.value for _, key, _ in refused),
            "units": joined(unit for unit, _, _ in refused),
            "values": "; ".join(f"{unit} {key.value}: {text}" for unit, key, text in refused),
        },
    )
