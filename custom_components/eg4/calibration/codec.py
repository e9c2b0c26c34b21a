"""JSON-ready encoding of the pieces of a calibration run (enums as strings, times as floats)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import time
from enum import StrEnum
from typing import Any

from ..model import ChargerPriority, OutputPriority, SettingKey, SettingValue
from ..numbers import finite
from ..settings import TIME_KEYS
from .plan import PlanItem

FORMAT_VERSION = 1


class RunDataError(ValueError):
    """Stored run data that cannot be trusted."""


def encode_value(value: SettingValue) -> str | float:
    """A setting value as JSON: option values as their string, numbers as floats."""
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return float(value)


def decode_value(key: SettingKey, raw: object) -> SettingValue:
    """A setting value from JSON, typed by its setting."""
    if key is SettingKey.OUTPUT_PRIORITY:
        return enum_of(OutputPriority, raw, key.value)
    if key is SettingKey.CHARGER_PRIORITY:
        return enum_of(ChargerPriority, raw, key.value)
    if key in TIME_KEYS:
        try:
            return time.fromisoformat(str(raw))
        except ValueError as err:
            raise RunDataError(f"{key.value}: {raw!r} is not a time of day") from err
    return as_float(raw, key.value)


def as_float(raw: object, name: str) -> float:
    """A finite number from JSON."""
    number = finite(raw)
    if number is None:
        raise RunDataError(f"bad {name}: {raw!r}")
    return number


def opt_float(raw: object, name: str) -> float | None:
    """A finite number or None from JSON."""
    return None if raw is None else as_float(raw, name)


def enum_of[E: StrEnum](kind: type[E], raw: object, name: str) -> E:
    """An enum member from its string."""
    if not isinstance(raw, str):
        raise RunDataError(f"bad {name}: {raw!r}")
    try:
        return kind(raw)
    except ValueError as err:
        raise RunDataError(f"bad {name}: {raw!r}") from err


def as_str(raw: object, name: str) -> str:
    """A string from JSON."""
    if not isinstance(raw, str):
        raise RunDataError(f"bad {name}: {raw!r}")
    return raw


def as_bool(raw: object, name: str) -> bool:
    """A boolean from JSON."""
    if not isinstance(raw, bool):
        raise RunDataError(f"bad {name}: {raw!r}")
    return raw


def as_list(raw: object, name: str) -> list[Any]:
    """A list from JSON."""
    if not isinstance(raw, list):
        raise RunDataError(f"bad {name}: {raw!r}")
    return raw


def as_dict(raw: object, name: str) -> dict[str, Any]:
    """A string-keyed object from JSON."""
    if not isinstance(raw, dict) or not all(isinstance(k, str) for k in raw):
        raise RunDataError(f"bad {name}: {raw!r}")
    return raw


def encode_item(item: PlanItem) -> dict[str, Any]:
    """A plan item as JSON."""
    return {
        "setting": item.setting.value,
        "unit": item.unit,
        "from": encode_value(item.from_value),
        "to": encode_value(item.to_value),
    }


def decode_item(raw: object) -> PlanItem:
    """A plan item from JSON."""
    data = as_dict(raw, "plan item")
    key = enum_of(SettingKey, data.get("setting"), "setting")
    unit = data.get("unit")
    if isinstance(unit, bool) or not isinstance(unit, int) or unit < 1:
        raise RunDataError(f"bad unit: {unit!r}")
    return PlanItem(
        setting=key,
        unit=unit,
        from_value=decode_value(key, data.get("from")),
        to_value=decode_value(key, data.get("to")),
    )


def encode_saved(saved: Mapping[int, Mapping[SettingKey, SettingValue]]) -> dict[str, Any]:
    """Saved settings per unit as JSON (unit numbers become string keys)."""
    return {
        str(unit): {key.value: encode_value(value) for key, value in settings.items()}
        for unit, settings in sorted(saved.items())
    }


def encode_soc(soc: Mapping[int, float | None]) -> dict[str, float | None]:
    """Per-pack SoC as JSON."""
    return {str(n): (None if v is None else float(v)) for n, v in sorted(soc.items())}


def decode_soc(raw: object, name: str) -> dict[int, float | None]:
    """Per-pack SoC from JSON."""
    out: dict[int, float | None] = {}
    for key, value in as_dict(raw, name).items():
        if not key.isascii() or not key.isdigit():
            raise RunDataError(f"bad {name} pack: {key!r}")
        out[int(key)] = opt_float(value, name)
    return out
