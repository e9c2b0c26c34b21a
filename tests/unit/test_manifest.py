"""manifest.json and hacs.json follow the hassfest and HACS rules we rely on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = json.loads((ROOT / "custom_components/eg4/manifest.json").read_text())
HACS = json.loads((ROOT / "hacs.json").read_text())

HACS_KEYS = {
    "name",
    "content_in_root",
    "country",
    "filename",
    "hacs",
    "hide_default_branch",
    "homeassistant",
    "persistent_directory",
    "render_readme",
    "zip_release",
}


def test_manifest_key_order() -> None:
    """hassfest: domain, name, then the rest in alphabetical order."""
    keys = list(MANIFEST)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("domain", "eg4"),
        ("config_flow", True),
        ("iot_class", "local_push"),
        ("integration_type", "hub"),
        ("after_dependencies", ["mqtt"]),
    ],
)
def test_manifest_values(key: str, expected: object) -> None:
    """The values this integration's behaviour depends on."""
    assert MANIFEST[key] == expected


def test_manifest_required_for_custom_integrations() -> None:
    """HACS and hassfest require these for a custom integration."""
    for key in ("version", "documentation", "issue_tracker", "codeowners"):
        assert MANIFEST[key], key
    assert MANIFEST["documentation"].startswith("https://")
    assert not MANIFEST["documentation"].startswith("https://www.home-assistant.io/integrations")
    assert MANIFEST["issue_tracker"].startswith("https://")
    assert all(owner.startswith("@") for owner in MANIFEST["codeowners"])
    parts = MANIFEST["version"].split(".")
    assert len(parts) == 3
    assert all(part.isdigit() for part in parts)


def test_hacs_json() -> None:
    """hacs.json has only keys HACS accepts, and declares the tested floor."""
    assert set(HACS) <= HACS_KEYS
    assert HACS["name"]
    assert HACS["homeassistant"] == "2025.4.0"


def test_integration_folder_matches_domain() -> None:
    """The folder name is the domain."""
    assert (ROOT / "custom_components" / MANIFEST["domain"] / "manifest.json").exists()
