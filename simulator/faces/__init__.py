"""Faces: pure codecs mapping twin state to MQTT messages and MQTT commands to the twin."""

from __future__ import annotations

from .base import Face, Message
from .powermon_lvx import PowermonLvxFace
from .solar_assistant import SolarAssistantFace

FACES: dict[str, type[PowermonLvxFace | SolarAssistantFace]] = {
    "powermon_lvx": PowermonLvxFace,
    "solar_assistant": SolarAssistantFace,
}

__all__ = ["FACES", "Face", "Message", "PowermonLvxFace", "SolarAssistantFace"]
