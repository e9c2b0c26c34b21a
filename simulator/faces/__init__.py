"""Faces: pure codecs mapping twin state to MQTT messages and MQTT commands to the twin."""

from __future__ import annotations

from .base import Face, Message
from .lxp_bridge import LxpBridgeFace
from .powermon_lvx import PowermonLvxFace
from .solar_assistant import SolarAssistantFace

FACES: dict[str, type[PowermonLvxFace | SolarAssistantFace | LxpBridgeFace]] = {
    "powermon_lvx": PowermonLvxFace,
    "solar_assistant": SolarAssistantFace,
    "lxp_bridge": LxpBridgeFace,
}

__all__ = ["FACES", "Face", "LxpBridgeFace", "Message", "PowermonLvxFace", "SolarAssistantFace"]
