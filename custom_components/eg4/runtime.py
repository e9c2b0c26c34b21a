"""What a loaded config entry holds: the typed ``runtime_data`` of an eg4 entry.

It sits above the rooms it names: the coordinator and the supervisor never name the entry's
runtime data, so nothing they import leads back here.
"""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.config_entries import ConfigEntry

from .coordinator import Eg4Coordinator
from .supervisor import CalibrationSupervisor


@dataclass(slots=True)
class Eg4RuntimeData:
    """What a loaded entry holds."""

    coordinator: Eg4Coordinator
    supervisor: CalibrationSupervisor


type Eg4ConfigEntry = ConfigEntry[Eg4RuntimeData]
