"""What the calibration actions answer, in the owner's words and with codes for automations.

Settings carry the name and the option labels their entities show (``name``,
``from_label``, ``to_label``, ``label``) beside their codes (``setting``, ``from``, ``to``,
``value``); figures carry their unit as the last part of their key (``_pct``, ``_v``,
``_mv``, ``_c``, ``_a``, ``_min``, ``_s``); ``message`` and each note's ``message`` are
sentences in Home Assistant's language.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from homeassistant.core import callback

from ..calibration import CalibrationRun, PlanItem, encode_item, encode_value
from ..calibration.before import before_picture, drift_note
from ..calibration.ending import format_figure
from ..const import DOMAIN
from ..drift import DEFAULT_SOC_THRESHOLD, DriftReport
from ..model import SettingKey, SettingValue, SystemState
from ..settings import NumberSetting, SettingDef
from .revert import setting_groups
from .words import Words

type Writable = Mapping[SettingKey, SettingDef]


def unit_of(writable: Writable | None, key: SettingKey) -> str | None:
    """The unit a number setting is shown in (None for options)."""
    setting = None if writable is None else writable.get(key)
    return setting.unit if isinstance(setting, NumberSetting) else None


@callback
def _label(words: Words, writable: Writable | None, key: SettingKey, value: SettingValue) -> str:
    return words.value_label(key, value, unit_of(writable, key))


@callback
def plan_response(
    plan: Sequence[PlanItem], words: Words | None = None, writable: Writable | None = None
) -> list[dict[str, Any]]:
    """The plan: setting, inverter, from -> to (codes as stored), and whether it changes.

    With ``words``: the setting's name and the values' labels, as the entities show them.
    """
    answer: list[dict[str, Any]] = []
    for item in plan:
        entry = {**encode_item(item), "changes": item.changes}
        if words is not None:
            entry["name"] = words.setting_name(item.setting)
            entry["from_label"] = _label(words, writable, item.setting, item.from_value)
            entry["to_label"] = _label(words, writable, item.setting, item.to_value)
        answer.append(entry)
    return answer


@callback
def cancel_response(
    run: CalibrationRun, words: Words, writable: Writable | None = None
) -> dict[str, Any]:
    """What a cancel answers: what was restored, whether a read-back confirmed it, in words."""
    restored = [
        {
            "setting": item.setting.value,
            "name": words.setting_name(item.setting),
            "unit": item.unit,
            "value": encode_value(item.to_value),
            "label": _label(words, writable, item.setting, item.to_value),
        }
        for item in run.revert_items
    ]
    confirmed = run.restored_at is not None or not run.plan
    settings = "; ".join(
        words.message(
            translation_domain=DOMAIN,
            translation_key="setting_on_units",
            translation_placeholders={
                "setting": words.setting_name(group.setting),
                "value": _label(words, writable, group.setting, group.value),
                "units": ", ".join(str(unit) for unit in group.units),
            },
        )
        for group in setting_groups(run.revert_items)
    )
    if not run.plan:
        key = "cancel_nothing_to_restore"
    else:
        key = "cancel_restored" if confirmed else "cancel_not_restored"
        key = f"quick_{key}" if run.kind == "quick" else key  # a quick run's own words
    name = words.message(translation_domain=DOMAIN, translation_key=f"run_kind_{run.kind}")
    return {
        "run_id": run.run_id,
        "kind": run.kind,
        "outcome": None if run.outcome is None else run.outcome.value,
        "restored": restored,
        "confirmed": confirmed,
        "message": words.message(
            translation_domain=DOMAIN,
            translation_key=key,
            translation_placeholders={"settings": settings, "run": name},
        ),
    }


@callback
def before_response(state: SystemState, report: DriftReport) -> dict[str, Any]:
    """The bank before the run, as the runbook records it."""
    return before_picture(state, report).to_dict()


@callback
def notes_response(words: Words, report: DriftReport) -> list[dict[str, str]]:
    """What the owner should know before a run: no drift (a run is pointless), and kin."""
    note = drift_note(report)
    if note is None:
        return []
    message = words.message(
        translation_domain=DOMAIN,
        translation_key=f"note_{note}",
        translation_placeholders={
            "spread": format_figure(
                report.voltage_spread if note == "imbalance" else report.soc_spread, 2
            ),
            "threshold": format_figure(DEFAULT_SOC_THRESHOLD),
            "packs": ", ".join(str(pack) for pack in report.missing) or "?",
        },
    )
    return [{"note": note, "message": message}]
