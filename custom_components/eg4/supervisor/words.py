"""The integration's own words: translated texts for notifications, the logbook and answers.

Home Assistant loads an integration's translations when it sets the integration up; these
read them from its cache, in the language the owner chose (English fills any gap). The texts
live in ``translations/en.json``: notifications and notes under ``exceptions`` (a message
each, placeholders filled here), settings and their options under ``entity`` (the names and
labels the entities show). Nothing an owner reads is written in Python.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import time
from enum import StrEnum

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.translation import async_get_cached_translations

from ..calibration.ending import format_figure
from ..const import DOMAIN
from ..model import SettingKey, SettingValue, setting_text

QUICK_TASKS = (SettingKey.QUICK_CHARGE, SettingKey.QUICK_DISCHARGE)
# Where a setting's name and option labels live: the platform of the entity that shows it.
SETTING_PLATFORMS = ("select", "number", "sensor")


class Words:
    """Translated texts of the eg4 integration, in Home Assistant's language."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Read from ``hass``'s translation cache."""
        self.hass = hass

    @callback
    def _lookup(self, category: str, key: str) -> str | None:
        for language in dict.fromkeys((self.hass.config.language, "en")):
            table = async_get_cached_translations(self.hass, language, category, DOMAIN)
            if (text := table.get(f"component.{DOMAIN}.{category}.{key}")) is not None:
                return text
        return None

    @callback
    def message(
        self,
        *,
        translation_domain: str,
        translation_key: str,
        translation_placeholders: Mapping[str, str] | None = None,
    ) -> str:
        """A text of the ``exceptions`` table, its placeholders filled in (the key if unknown)."""
        if translation_domain != DOMAIN:
            raise ValueError(f"only {DOMAIN}'s own texts: {translation_domain}")
        text = self._lookup("exceptions", f"{translation_key}.message")
        if text is None:
            return translation_key
        try:
            return text.format(**(translation_placeholders or {}))
        except (KeyError, IndexError, ValueError):
            return text

    @callback
    def titled(self, translation_key: str, title: str) -> str:
        """A text whose one placeholder is the entry's ``title`` (a notification's heading)."""
        return self.message(
            translation_domain=DOMAIN,
            translation_key=translation_key,
            translation_placeholders={"title": title},
        )

    @callback
    def reason(self, reason: str | None) -> str:
        """Why a run stopped, in words (``stop_reason_<code>``; the code when none is written)."""
        if reason is None:
            return ""
        key = f"stop_reason_{reason}"
        text = self.message(translation_domain=DOMAIN, translation_key=key)
        return reason if text == key else text

    @callback
    def phase(self, phase: str | None) -> str:
        """A calibration phase as the Calibration sensor shows it."""
        if phase is None:
            return "?"
        return self._lookup("entity", f"sensor.calibration_state.state.{phase}") or phase

    @callback
    def setting_name(self, key: SettingKey) -> str:
        """A setting's name as its entity shows it."""
        for platform in SETTING_PLATFORMS:
            if (name := self._lookup("entity", f"{platform}.{key.value}.name")) is not None:
                return name
        # A setting no entity shows (a quick task) has its name among the messages.
        return self._lookup("exceptions", f"setting_{key.value}.message") or key.value

    @callback
    def value_label(self, key: SettingKey, value: SettingValue, unit: str | None = None) -> str:
        """A setting's value as its entity shows it: the option's label, or the number and unit."""
        if isinstance(value, StrEnum):
            label = self._lookup("entity", f"select.{key.value}.state.{value.value}")
            return value.value if label is None else label
        if isinstance(value, time):
            return setting_text(value)
        if key in QUICK_TASKS and value in (0.0, 1.0):  # a quick task: under way, or none
            return self.message(translation_domain=DOMAIN, translation_key=f"quick_task_{value:g}")
        figure = format_figure(value, 2)
        return f"{figure} {unit}" if unit else figure
