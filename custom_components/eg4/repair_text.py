"""The drift repair's words: pre-flight findings, the plan and the duration as text (pure).

A repair form shows its placeholders as given, so what varies (which checks failed, which
settings change) is put into words here, from the integration's translations that the
caller loaded in the user's language (``texts``: Home Assistant's flat
``component.<domain>.<category>.<key>…`` table). A sentence that is missing, or that needs a
placeholder the finding does not carry, falls back to the finding's id and details: the
owner always learns why.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

SETTING_PLATFORMS = ("select", "number")  # where a setting's name and value labels live


def message(
    texts: Mapping[str, str],
    *,
    translation_domain: str,
    translation_key: str,
    translation_placeholders: Mapping[str, str],
) -> str:
    """The translated message ``exceptions.<translation_key>``, filled in."""
    template = texts.get(f"component.{translation_domain}.exceptions.{translation_key}.message")
    if template:
        try:
            return template.format(**translation_placeholders).rstrip(".") + "."
        except (KeyError, IndexError, ValueError):
            pass
    details = ", ".join(f"{key}: {value}" for key, value in translation_placeholders.items())
    return f"{translation_key} ({details})" if details else translation_key


def findings_text(
    texts: Mapping[str, str], domain: str, findings: Sequence[Mapping[str, str]]
) -> str:
    """Pre-flight findings (``{"check": id, **placeholders}``), one bullet each."""
    lines = []
    for finding in findings:
        placeholders = {key: str(value) for key, value in finding.items() if key != "check"}
        sentence = message(
            texts,
            translation_domain=domain,
            translation_key=f"preflight_{finding['check']}",
            translation_placeholders=placeholders,
        )
        lines.append(f"- {sentence}")
    return "\n".join(lines)


def plan_text(texts: Mapping[str, str], domain: str, plan: Sequence[Mapping[str, Any]]) -> str:
    """The plan, one bullet per setting and change: ``- Name (units): from → to``.

    Units that change alike share a line; names and option values are the labels the
    setting's entity shows (the code where there is none).
    """
    grouped: dict[tuple[str, str, str], list[str]] = {}
    for item in plan:
        setting = str(item["setting"])
        change = (setting, _value(item["from"]), _value(item["to"]))
        grouped.setdefault(change, []).append(str(item["unit"]))
    lines = []
    for (setting, old, new), units in grouped.items():
        name = _label(texts, domain, setting, "name") or setting
        old_label = _label(texts, domain, setting, f"state.{old}") or old
        new_label = _label(texts, domain, setting, f"state.{new}") or new
        lines.append(f"- {name} ({', '.join(units)}): {old_label} → {new_label}")
    return "\n".join(lines)


def duration_text(seconds: float | None) -> str:
    """``3 h 10 min`` / ``45 min`` (rounded up to the next 5 minutes); ``?`` when unknown."""
    if seconds is None or seconds < 0:
        return "?"
    minutes = max(5, math.ceil(seconds / 300) * 5)
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return f"{minutes} min"
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def _value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _label(texts: Mapping[str, str], domain: str, setting: str, path: str) -> str | None:
    for platform in SETTING_PLATFORMS:
        if label := texts.get(f"component.{domain}.entity.{platform}.{setting}.{path}"):
            return label
    return None
