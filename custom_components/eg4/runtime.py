"""What a loaded config entry holds: the typed ``runtime_data`` of an eg4 entry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry

if TYPE_CHECKING:
    from .coordinator import Eg4Coordinator
    from .supervisor import CalibrationSupervisor


@dataclass(slots=True)
class Eg4RuntimeData:
    """What a loaded entry holds."""

    coordinator: Eg4Coordinator
    supervisor: CalibrationSupervisor


type Eg4ConfigEntry = ConfigEntry[Eg4RuntimeData]
