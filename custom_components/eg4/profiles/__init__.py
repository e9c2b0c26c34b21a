"""MQTT bridge profiles: topic maps and payload codecs, one module per bridge.

``<bridge>.py`` decodes and encodes; ``<bridge>_setup.py`` is the bridge's definition for
set-up (form, validation, unique id, title, construction, discovery); ``registry.py`` indexes
the definitions.
"""

from __future__ import annotations

from .base import Profile
from .registry import build_profile

__all__ = ["Profile", "build_profile"]
