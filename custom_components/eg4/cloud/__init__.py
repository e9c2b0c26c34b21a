"""EG4 / Luxpower cloud portal client (plain aiohttp, no Home Assistant imports)."""

from __future__ import annotations

from .client import DEFAULT_SERVER, SERVERS, Eg4CloudClient, resolve_base_url
from .energy import EnergyTotals
from .errors import (
    Eg4ApiError,
    Eg4AuthError,
    Eg4CloudError,
    Eg4ConnectionError,
    Eg4DeviceRejectedError,
    Eg4OutageError,
    Eg4PermissionError,
    Eg4RateLimitedError,
    Eg4TransientError,
)
from .models import (
    Account,
    BatteryInfo,
    BatteryPack,
    DeviceOverview,
    InverterRef,
    ParallelGroup,
    ParallelGroupRef,
    ParallelMember,
    Plant,
    PlantInfo,
    Runtime,
)
from .params import (
    CloudWrite,
    FunctionWrite,
    ModelFamily,
    ParamWrite,
    encode_write,
    model_family,
    readback_from_params,
    readback_window,
    supported_keys,
)

__all__ = [
    "DEFAULT_SERVER",
    "SERVERS",
    "Account",
    "BatteryInfo",
    "BatteryPack",
    "CloudWrite",
    "DeviceOverview",
    "Eg4ApiError",
    "Eg4AuthError",
    "Eg4CloudClient",
    "Eg4CloudError",
    "Eg4ConnectionError",
    "Eg4DeviceRejectedError",
    "Eg4OutageError",
    "Eg4PermissionError",
    "Eg4RateLimitedError",
    "Eg4TransientError",
    "EnergyTotals",
    "FunctionWrite",
    "InverterRef",
    "ModelFamily",
    "ParallelGroup",
    "ParallelGroupRef",
    "ParallelMember",
    "ParamWrite",
    "Plant",
    "PlantInfo",
    "Runtime",
    "encode_write",
    "model_family",
    "readback_from_params",
    "readback_window",
    "resolve_base_url",
    "supported_keys",
]
