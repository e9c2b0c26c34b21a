"""Diagnostics: configuration, freshness, settings and rejected-payload counters, redacted."""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from .model import DeviceState, InverterState, PackState
from .runtime import Eg4ConfigEntry

# Anything that can identify a person, a site or a device.
TO_REDACT = {
    "username",
    "password",
    "account",
    "cookie",
    "session",
    "serial",
    "serial_number",
    "station_id",
    "plant_id",
    "datalog",
    "datalogs",
    "state_topic_prefix",
    "inverter_prefix",
    "battery_prefix",
    "command_topic_prefix",
    "topic_prefix",
    "max_charge_current_command",
    "max_utility_charge_current_command",
    "stop_charge_voltage_command",
    "title",
    "unique_id",
}


def _device(device: DeviceState, now: float) -> dict[str, Any]:
    out: dict[str, Any] = {
        "seconds_since_last_report": None
        if device.last_seen is None
        else round(now - device.last_seen, 1),
        "metrics": dict(sorted(device.metrics.items())),
    }
    if isinstance(device, InverterState):
        out["settings"] = {str(k): str(v) for k, v in sorted(device.settings.items())}
    if isinstance(device, PackState):
        out["protection_flags"] = list(device.protection_flags)
    return out


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: Eg4ConfigEntry
) -> dict[str, Any]:
    """Return diagnostics for a config entry."""
    coordinator = entry.runtime_data.coordinator
    supervisor = entry.runtime_data.supervisor
    state = coordinator.data
    caps = coordinator.capabilities
    now = dt_util.utcnow().timestamp()
    return {
        "entry": async_redact_data(
            {
                "title": entry.title,
                "unique_id": entry.unique_id,
                "data": dict(entry.data),
                "options": dict(entry.options),
            },
            TO_REDACT,
        ),
        "transport": async_redact_data(coordinator.transport.describe(), TO_REDACT),
        "capabilities": {
            "inverter_metrics": sorted(caps.inverter_metrics),
            "pack_metrics": sorted(caps.pack_metrics),
            "readable_settings": sorted(str(k) for k in caps.readable_settings),
            "writable_settings": sorted(str(k) for k in caps.writable),
            "broadcast_writes": caps.broadcast_writes,
        },
        "stale_sources": sorted(str(s) for s in state.stale),
        "mismatched_settings": [str(k) for k in state.mismatched_settings()],
        "inverters": {str(n): _device(inv, now) for n, inv in state.inverters.items()},
        "packs": {str(n): _device(pack, now) for n, pack in state.packs.items()},
        "messages_accepted": coordinator.accepted,
        "payloads_rejected": dict(sorted(coordinator.rejected.items())),
        "last_command_replies": [
            {"ok": reply.ok, "message": reply.message} for reply in coordinator.command_replies
        ],
        "calibration": async_redact_data(
            {
                "active_run": None if supervisor.run is None else supervisor.run.to_dict(),
                "last_record": supervisor.last,
                "last_success": supervisor.last_success,
                "last_charge_to": supervisor.last_charge_to,
                "held_settings": sorted(str(key) for key in coordinator.writer.held),
                "late_levers_stuck": supervisor.late.stuck(),
            },
            TO_REDACT,
        ),
    }
