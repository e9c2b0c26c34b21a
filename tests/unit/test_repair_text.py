"""The drift repair's words (``repair_text``): findings, plan and duration as shown."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custom_components.eg4.repair_text import duration_text, findings_text, message, plan_text
from custom_components.eg4.safety.checks import Check

EN: dict[str, Any] = json.loads(
    (Path(__file__).parents[2] / "custom_components/eg4/translations/en.json").read_text()
)


def flat(table: dict[str, Any], prefix: str = "component.eg4") -> dict[str, str]:
    """en.json as Home Assistant's translation cache holds it (flat dotted keys)."""
    out: dict[str, str] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            out.update(flat(value, f"{prefix}.{key}"))
        else:
            out[f"{prefix}.{key}"] = value
    return out


TEXTS = flat(EN)


def test_every_check_has_a_sentence() -> None:
    """A new pre-flight check without a sentence would reach the owner as its id."""
    missing = [c.value for c in Check if f"preflight_{c.value}" not in EN["exceptions"]]
    assert missing == []


def test_findings_are_translated_and_filled_in() -> None:
    findings = [
        {
            "check": "temperature_out_of_range",
            "sources": "pack_2",
            "values": "pack_2: 2.5 °C",
            "minimum": "5",
            "maximum": "45",
        },
        {"check": "run_active"},
    ]
    assert findings_text(TEXTS, "eg4", findings) == (
        "- A battery is outside the 5 to 45 °C charging window: pack_2: 2.5 °C.\n"
        "- A calibration is already under way, or the settings of the last one are not yet "
        "confirmed restored."
    )


def test_a_finding_without_its_sentence_or_placeholder_still_says_why() -> None:
    """Missing sentence, or a placeholder the finding lacks: the id and the details."""
    assert findings_text(TEXTS, "eg4", [{"check": "brand_new", "values": "pack_1: x"}]) == (
        "- preflight_brand_new (values: pack_1: x)"
    )
    assert findings_text(TEXTS, "eg4", [{"check": "cell_voltage_high", "values": "pack_1"}]) == (
        "- preflight_cell_voltage_high (values: pack_1)"
    )
    assert message({}, translation_domain="eg4", translation_key="x", translation_placeholders={})
    assert findings_text(TEXTS, "eg4", []) == ""


def test_plan_uses_the_selects_labels_and_groups_units() -> None:
    plan = [
        {
            "setting": "charger_priority",
            "unit": 1,
            "from": "solar_first",
            "to": "solar_and_utility",
        },
        {"setting": "charger_priority", "unit": 2, "from": "solar_only", "to": "solar_and_utility"},
        {"setting": "output_priority", "unit": 1, "from": "sbu", "to": "sub"},
        {"setting": "output_priority", "unit": 2, "from": "sbu", "to": "sub"},
        {"setting": "ac_charge_soc_limit", "unit": 1, "from": 90.0, "to": 100.0},
        {"setting": "mystery", "unit": 1, "from": "a", "to": "b"},
    ]
    assert plan_text(TEXTS, "eg4", plan).splitlines() == [
        "- Charger priority (1): Solar first → Solar and utility",
        "- Charger priority (2): Solar only → Solar and utility",
        "- Output priority (1, 2): Solar - Battery - Utility (SBU)"
        " → Solar - Utility - Battery (SUB)",
        f"- {EN['entity']['number']['ac_charge_soc_limit']['name']} (1): 90 → 100",
        "- mystery (1): a → b",
    ]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "?"),
        (-1.0, "?"),
        (0.0, "5 min"),
        (60.0, "5 min"),
        (301.0, "10 min"),
        (3600.0, "1 h"),
        (3601.0, "1 h 5 min"),
        (11_100.0, "3 h 5 min"),
    ],
)
def test_duration(seconds: float | None, text: str) -> None:
    assert duration_text(seconds) == text


@given(st.floats(min_value=0, max_value=48 * 3600))
def test_duration_never_promises_less_than_the_estimate(seconds: float) -> None:
    """Rounded up to 5 minutes: the owner is never told it ends sooner than estimated."""
    text = duration_text(seconds)
    hours, _, rest = text.partition(" h") if " h" in text else ("0", "", text)
    minutes = int(rest.strip().removesuffix("min").strip() or 0)
    shown = int(hours) * 3600 + minutes * 60
    assert seconds <= shown < seconds + 300 + 300
