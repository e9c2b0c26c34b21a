"""Digital twin of an EG4 solar bank (parallel LVX6048-like inverters + LifePower4-like packs).

No Home Assistant imports and no MQTT library here: faces are pure codecs; only
:mod:`simulator.runner` imports paho-mqtt, lazily.
"""

from __future__ import annotations

from .faces import Face, LxpBridgeFace, Message, PowermonLvxFace, SolarAssistantFace
from .scenarios import SCENARIOS, build_twin
from .settings import ChargerPriority, Command, InverterSettings, OutputPriority, Setting
from .twin import ChargeStage, CommandResult, Twin, TwinConfig

__all__ = [
    "SCENARIOS",
    "ChargeStage",
    "ChargerPriority",
    "Command",
    "CommandResult",
    "Face",
    "InverterSettings",
    "LxpBridgeFace",
    "Message",
    "OutputPriority",
    "PowermonLvxFace",
    "Setting",
    "SolarAssistantFace",
    "Twin",
    "TwinConfig",
    "build_twin",
]
