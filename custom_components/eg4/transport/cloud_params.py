"""Reading an inverter's settings back through the portal: parameters and quick tasks.

Parameters come from ``remoteRead`` windows (every one hourly, a single register to confirm a
write or to watch a run's lever); a quick charge or discharge is no parameter: whether its
task is open is read from the portal's quick-task status (``cloud.quick``). Every value read
is delivered as a setting reading of its unit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ..cloud import Eg4CloudClient, readback_from_params, readback_window
from ..cloud.params import READ_WINDOWS
from ..cloud.quick import QUICK_KEYS
from ..model import SettingKey, SettingValue, SourceId, SourceKind
from .base import Decoded, Reading
from .cloud_setup import CloudUnit

type Emit = Callable[[Decoded], None]


async def read_settings(
    client: Eg4CloudClient, emit: Emit, unit: CloudUnit
) -> dict[SettingKey, object]:
    """Every parameter of the standard windows, and the quick tasks' status."""
    params: dict[str, str] = {}
    for start, count in READ_WINDOWS:
        params.update(await client.read_parameters(unit.serial, start, count))
    values = emit_settings(emit, unit, readback_from_params(params, unit.family))
    return {**values, **await read_setting(client, emit, unit, SettingKey.QUICK_CHARGE)}


async def read_setting(
    client: Eg4CloudClient, emit: Emit, unit: CloudUnit, key: SettingKey
) -> dict[SettingKey, object]:
    """The smallest read that reports ``key`` (a quick task: both tasks' status)."""
    if key in QUICK_KEYS:
        return emit_settings(emit, unit, await client.quick_tasks(unit.serial))
    start, count = readback_window(key, unit.family)
    params = await client.read_parameters(unit.serial, start, count)
    return emit_settings(emit, unit, readback_from_params(params, unit.family))


def emit_settings(
    emit: Emit, unit: CloudUnit, values: Mapping[SettingKey, SettingValue]
) -> dict[SettingKey, object]:
    """Deliver the values read as the unit's setting readings; return them."""
    source = SourceId(SourceKind.INVERTER, unit.number)
    readings = [Reading(source, key, value, key) for key, value in values.items()]
    if readings:
        emit(Decoded(tuple(readings)))
    return dict(values)
