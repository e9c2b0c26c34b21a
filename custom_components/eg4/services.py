"""Actions: calibration, cancel, charge to a target, quick charge, forced discharge (admin)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import voluptuous as vol
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import (
    Context,
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
)
from homeassistant.exceptions import ServiceValidationError, Unauthorized
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util

from .calibration import Method, RunConfig
from .calibration.config import check_hold
from .chargeto import ChargeMethod, ChargeRequest
from .const import DOMAIN
from .quick import DEFAULT_MINUTES, QuickAction
from .refusal import RefusedError
from .supervisor import CalibrationSupervisor, async_charge_to, limits_from
from .supervisor.quick import async_quick

if TYPE_CHECKING:
    from .runtime import Eg4ConfigEntry

ATTR_CONFIG_ENTRY_ID = "config_entry_id"
ATTR_METHOD = "method"
ATTR_DRY_RUN = "dry_run"
ATTR_MAX_DURATION = "max_duration"
ATTR_CELL_VOLTAGE_LIMIT = "cell_voltage_limit"
ATTR_TEMPERATURE_LIMIT = "temperature_limit"
ATTR_TAPER_HOLD = "taper_hold"
ATTR_VERIFY_HOLD = "verify_hold"
# Each hold field and the run setting it sets (refused below ``calibration.MIN_HOLDS``).
HOLD_FIELDS = {ATTR_TAPER_HOLD: "taper_hold_s", ATTR_VERIFY_HOLD: "verify_hold_s"}
SERVICE_RUN = "run_calibration"
SERVICE_CANCEL = "cancel_calibration"
SERVICE_CHARGE_TO = "charge_to"
ATTR_TARGET_SOC = "target_soc"
ATTR_DEADLINE = "deadline"
MAX_DURATION_CAP = timedelta(hours=12)
ATTR_DURATION = "duration"

RUN_SCHEMA = vol.Schema(
    {
        vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Optional(ATTR_METHOD, default=Method.GRID.value): vol.In([m.value for m in Method]),
        vol.Optional(ATTR_DRY_RUN, default=False): cv.boolean,
        vol.Optional(ATTR_MAX_DURATION): cv.positive_time_period,
        vol.Optional(ATTR_CELL_VOLTAGE_LIMIT): vol.Coerce(float),
        vol.Optional(ATTR_TEMPERATURE_LIMIT): vol.Coerce(float),
        vol.Optional(ATTR_TAPER_HOLD): cv.positive_time_period,
        vol.Optional(ATTR_VERIFY_HOLD): cv.positive_time_period,
    }
)
CANCEL_SCHEMA = vol.Schema({vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string})
CHARGE_TO_SCHEMA = vol.Schema(
    {
        vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Required(ATTR_TARGET_SOC): vol.All(vol.Coerce(float), vol.Range(min=1, max=100)),
        # A date and time, or a time of day (its next occurrence, in Home Assistant's zone).
        vol.Required(ATTR_DEADLINE): vol.Any(cv.datetime, cv.time),
        vol.Optional(ATTR_METHOD, default=ChargeMethod.GRID.value): vol.In(
            [m.value for m in ChargeMethod]
        ),
        vol.Optional(ATTR_DRY_RUN, default=False): cv.boolean,
    }
)

# The duration is checked by the action (``supervisor.quick.check_minutes``), with its own
# translated refusal: a number is all the schema asks.
QUICK_SCHEMA = vol.Schema(
    {
        vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Optional(ATTR_DURATION, default=DEFAULT_MINUTES): vol.Coerce(float),
    }
)


async def async_require_admin(hass: HomeAssistant, context: Context) -> None:
    """Setting-changing actions are for administrators (automations run as the system)."""
    user_id = context.user_id
    if user_id is None:
        return
    user = await hass.auth.async_get_user(user_id)
    if user is None or not user.is_admin:
        raise Unauthorized(context=context)


def _entry_id(hass: HomeAssistant, call: ServiceCall) -> str:
    """The chosen system, or the only one there is (the form then needs no choice)."""
    if entry_id := call.data.get(ATTR_CONFIG_ENTRY_ID):
        return str(entry_id)
    entries = hass.config_entries.async_entries(DOMAIN)
    if len(entries) != 1:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="config_entry_required" if entries else "no_config_entry",
            translation_placeholders={"count": str(len(entries))},
        )
    return entries[0].entry_id


def _supervisor(hass: HomeAssistant, entry_id: str) -> CalibrationSupervisor:
    entry: Eg4ConfigEntry | None = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != DOMAIN:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_config_entry",
            translation_placeholders={"entry_id": entry_id},
        )
    if entry.state is not ConfigEntryState.LOADED:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="unloaded_config_entry",
            translation_placeholders={"title": entry.title},
        )
    return entry.runtime_data.supervisor


def _capped(duration: timedelta) -> timedelta:
    if duration > MAX_DURATION_CAP:
        raise RefusedError(
            "limit_above_ceiling",
            field=ATTR_MAX_DURATION,
            value=str(duration),
            limit=str(MAX_DURATION_CAP),
        )
    return duration


def _run_config(method: Method, data: dict[str, Any]) -> RunConfig:
    overrides: dict[str, Any] = {}
    try:
        overrides["limits"] = limits_from(
            data.get(ATTR_CELL_VOLTAGE_LIMIT), data.get(ATTR_TEMPERATURE_LIMIT)
        )
        duration: timedelta | None = data.get(ATTR_MAX_DURATION)
        if duration is not None:
            overrides["max_duration_s"] = _capped(duration).total_seconds()
        for attr, name in HOLD_FIELDS.items():
            hold: timedelta | None = data.get(attr)
            if hold is not None:
                overrides[name] = check_hold(name, hold.total_seconds(), field=attr)
        return RunConfig.for_method(method, **overrides)
    except RefusedError as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key=err.translation_key,
            translation_placeholders=err.translation_placeholders,
        ) from err


async def _async_run(call: ServiceCall) -> ServiceResponse:
    hass = call.hass
    await async_require_admin(hass, call.context)
    supervisor = _supervisor(hass, _entry_id(hass, call))
    method = Method(call.data[ATTR_METHOD])
    config = _run_config(method, dict(call.data))
    return await supervisor.async_run(method, dry_run=call.data[ATTR_DRY_RUN], config=config)


async def _async_cancel(call: ServiceCall) -> ServiceResponse:
    hass = call.hass
    await async_require_admin(hass, call.context)
    supervisor = _supervisor(hass, _entry_id(hass, call))
    return await supervisor.async_cancel()


def deadline_timestamp(value: datetime | time) -> float:
    """The deadline in seconds since the epoch.

    A date and time without a zone, and a time of day, are Home Assistant's local wall time; a
    time of day is its next occurrence. Wall time the clock passes twice (the night it falls
    back) is the occurrence still to come; wall time it skips (the night it springs forward) is
    taken with the offset before the change, an hour later on the clock.
    """
    if isinstance(value, datetime) and value.tzinfo is not None:
        return dt_util.as_utc(value).timestamp()
    zone = dt_util.get_default_time_zone()
    now = dt_util.utcnow().timestamp()
    if isinstance(value, datetime):
        return _next_moment(now, [value.replace(tzinfo=zone)])
    today = dt_util.now().date()
    wall = value.replace(microsecond=0, tzinfo=None)
    return _next_moment(
        now, [datetime.combine(today + timedelta(days=n), wall, tzinfo=zone) for n in (0, 1)]
    )


def _next_moment(now: float, walls: list[datetime]) -> float:
    """The first moment after ``now`` that one of ``walls`` names; the last when none is."""
    moments: list[float] = []
    for wall in walls:
        first, second = wall.replace(fold=0).timestamp(), wall.replace(fold=1).timestamp()
        # the second reading is later only for a time the clock passes twice; for a time it
        # skips it is earlier (the offset after the change), and is not taken
        moments.extend((first, second) if second > first else (first,))
    later = [moment for moment in moments if moment > now]
    return min(later) if later else max(moments)


async def _async_charge_to(call: ServiceCall) -> ServiceResponse:
    hass = call.hass
    await async_require_admin(hass, call.context)
    supervisor = _supervisor(hass, _entry_id(hass, call))
    request = ChargeRequest(
        target_soc=float(call.data[ATTR_TARGET_SOC]),
        deadline=deadline_timestamp(call.data[ATTR_DEADLINE]),
        method=ChargeMethod(call.data[ATTR_METHOD]),
    )
    return await async_charge_to(supervisor, request, dry_run=call.data[ATTR_DRY_RUN])


async def _async_quick(call: ServiceCall) -> ServiceResponse:
    hass = call.hass
    await async_require_admin(hass, call.context)
    supervisor = _supervisor(hass, _entry_id(hass, call))
    action = QuickAction(call.service)
    return await async_quick(supervisor, action, float(call.data[ATTR_DURATION]))


def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's actions (once, in async_setup)."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_RUN,
        _async_run,
        schema=RUN_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_CANCEL,
        _async_cancel,
        schema=CANCEL_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_CHARGE_TO,
        _async_charge_to,
        schema=CHARGE_TO_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    for action in QuickAction:
        hass.services.async_register(
            DOMAIN,
            action.value,
            _async_quick,
            schema=QUICK_SCHEMA,
            supports_response=SupportsResponse.OPTIONAL,
        )
