"""scripts/check_integration.py: passes on the repository, fails on broken copies of it."""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "check_integration.py"


def _load_checker() -> ModuleType:
    if "check_integration" in sys.modules:  # already loaded by another test module
        return sys.modules["check_integration"]
    spec = importlib.util.spec_from_file_location("check_integration", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


checker = _load_checker()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A copy of what the checker reads: the integration."""
    shutil.copytree(
        ROOT / "custom_components" / "eg4",
        tmp_path / "custom_components" / "eg4",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    return tmp_path


def edit_json(path: Path, change: Callable[[dict[str, Any]], object]) -> None:
    """Apply ``change`` to a JSON file's object in place (its return value is ignored)."""
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data, indent=2))


def reorder(data: dict[str, Any], keys: list[str]) -> None:
    """Put ``keys`` first, keeping the rest in order, in place."""
    items = [(key, data[key]) for key in keys] + [(k, v) for k, v in data.items() if k not in keys]
    data.clear()
    data.update(items)


def replace_text(path: Path, old: str, new: str) -> None:
    """Replace one exact snippet of a file."""
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def errors(root: Path) -> list[str]:
    """The checker's errors on ``root``."""
    return list(checker.check(root).errors)


def integration(root: Path) -> Path:
    return root / "custom_components" / "eg4"


def en_json(root: Path) -> Path:
    return integration(root) / "translations" / "en.json"


def assert_error(root: Path, *fragments: str) -> None:
    """Exactly the errors expected: one per fragment, and no other error appears new."""
    found = errors(root)
    baseline = set(errors_of_repo())
    for fragment in fragments:
        assert any(fragment in line for line in found), f"{fragment!r} not in {found}"
    new = [line for line in found if line not in baseline]
    for line in new:
        assert any(fragment in line for fragment in fragments), f"unexpected error: {line}"


_REPO_ERRORS: list[str] = []


def errors_of_repo() -> list[str]:
    """The repository's own errors (the same on an untouched copy), computed once."""
    if not _REPO_ERRORS:
        _REPO_ERRORS.extend(errors(ROOT) or ["<none>"])
    return [line for line in _REPO_ERRORS if line != "<none>"]


# ---- the repository itself ----------------------------------------------------------------


def test_repository_passes(capsys: pytest.CaptureFixture[str]) -> None:
    """Every hassfest/HACS rule the checker knows holds for this repository."""
    status = checker.main(["check_integration.py", str(ROOT)])
    out = capsys.readouterr().out
    assert status == 0, out
    assert out.strip().splitlines()[-1].startswith("OK: ")


def test_untouched_copy_matches_the_repository(repo: Path) -> None:
    assert errors(repo) == errors_of_repo()


def test_every_translation_key_in_the_code_is_found() -> None:
    """The AST walk resolves the keys this code builds at run time, not just literals."""
    report = checker.Report()
    source = checker.Source(ROOT / "custom_components" / "eg4", report)
    uses = checker.collect_uses(source, report)
    found = {(".".join(use.section), key) for use in uses for key in use.keys.exact}
    for expected in (
        ("entity.sensor", "battery_voltage"),  # via the _voltage() helper
        ("entity.sensor", "pack_voltage"),  # a helper call overriding the key
        ("entity.sensor", "stop_charge_voltage_readback"),  # f"{key}_readback" in a loop
        ("entity.binary_sensor", "soc_drift"),  # description in system_entities.py
        ("entity.number", "max_charge_current"),
        ("entity.select", "charger_priority"),
        ("exceptions", "rejected_out_of_range"),  # err.translation_key of RefusedError
        ("exceptions", "limit_above_ceiling"),  # err.translation_key of RefusedError
        ("exceptions", "plan_no_levers"),  # err.translation_key of RefusedError
        ("exceptions", "write_rolled_back"),  # a local variable set in branches
        ("exceptions", "mqtt_unavailable"),
        ("issues", "revert_failed"),
        ("selector", "server"),
    ):
        assert expected in found, expected


# ---- manifest.json and hacs.json ----------------------------------------------------------


# ---- services.yaml <-> translations --------------------------------------------------------


def test_action_field_without_translation(repo: Path) -> None:
    edit_json(en_json(repo), lambda en: en["services"]["run_calibration"]["fields"].pop("dry_run"))
    assert_error(
        repo,
        "services.run_calibration.fields.dry_run.name is missing",
        "services.run_calibration.fields.dry_run.description is missing",
    )


def test_translation_for_a_field_that_does_not_exist(repo: Path) -> None:
    edit_json(
        en_json(repo),
        lambda en: en["services"]["run_calibration"]["fields"].update(
            {"force": {"name": "Force", "description": "Skip the checks."}}
        ),
    )
    assert_error(repo, "services.run_calibration.fields.force translates no field")


def test_translation_for_an_action_that_does_not_exist(repo: Path) -> None:
    edit_json(
        en_json(repo),
        lambda en: en["services"].update({"reboot": {"name": "Reboot", "description": "No."}}),
    )
    assert_error(repo, "services.reboot translates an action services.yaml lacks")


def test_action_without_description(repo: Path) -> None:
    edit_json(en_json(repo), lambda en: en["services"]["cancel_calibration"].pop("description"))
    assert_error(repo, "services.cancel_calibration.description is missing")


def test_select_selector_option_without_translation(repo: Path) -> None:
    edit_json(
        en_json(repo), lambda en: en["selector"]["calibration_method"]["options"].pop("solar")
    )
    assert_error(repo, "selector.calibration_method.options.solar is missing")


def test_declared_action_the_code_never_registers(repo: Path) -> None:
    path = integration(repo) / "services.yaml"
    path.write_text(path.read_text() + "\nreboot:\n  fields: {}\n")
    edit_json(
        en_json(repo),
        lambda en: en["services"].update({"reboot": {"name": "Reboot", "description": "No."}}),
    )
    assert_error(repo, "services.yaml declares reboot but the code never registers it")


def test_device_filter_in_an_action_target(repo: Path) -> None:
    path = integration(repo) / "services.yaml"
    replace_text(
        path,
        "cancel_calibration:\n",
        "cancel_calibration:\n  target:\n    device:\n      integration: eg4\n",
    )
    assert_error(repo, "cancel_calibration: target selectors must not filter on device")


# ---- translation keys in the code -----------------------------------------------------------


def test_unknown_exception_translation_key(repo: Path) -> None:
    replace_text(
        integration(repo) / "writes.py",
        'translation_key="telemetry_stale"',
        'translation_key="telemetry_is_stale"',
    )
    assert_error(repo, "exceptions.telemetry_is_stale is missing")


def test_exception_key_carried_by_a_refused_error(repo: Path) -> None:
    """err.translation_key: every key RefusedError is raised with counts."""
    edit_json(en_json(repo), lambda en: en["exceptions"].pop("rejected_not_on_step"))
    assert_error(repo, "exceptions.rejected_not_on_step is missing")


def test_exception_placeholder_the_code_does_not_pass(repo: Path) -> None:
    edit_json(
        en_json(repo),
        lambda en: en["exceptions"]["telemetry_stale"].update(
            {"message": "Cannot change {setting} on unit {unit}."}
        ),
    )
    assert_error(repo, "exceptions.telemetry_stale needs placeholders ['unit']")


def test_entity_translation_missing(repo: Path) -> None:
    edit_json(en_json(repo), lambda en: en["entity"]["number"].pop("max_charge_current"))
    assert_error(
        repo,
        "entity.number.max_charge_current is missing",
        "icons.json entity.number.max_charge_current has no translation",
    )


def test_entity_translation_from_a_description_helper_missing(repo: Path) -> None:
    edit_json(en_json(repo), lambda en: en["entity"]["sensor"].pop("battery_voltage"))
    assert_error(repo, "entity.sensor.battery_voltage is missing")


def test_entity_translation_in_the_wrong_platform(repo: Path) -> None:
    """soc_drift is a binary sensor although its description lives in system_entities.py."""

    def move(en: dict[str, Any]) -> None:
        en["entity"]["sensor"]["soc_drift"] = en["entity"]["binary_sensor"].pop("soc_drift")

    edit_json(en_json(repo), move)
    assert_error(
        repo,
        "entity.binary_sensor.soc_drift is missing",
        "icons.json entity.binary_sensor.soc_drift has no translation",
    )


def test_entity_translation_without_name(repo: Path) -> None:
    edit_json(en_json(repo), lambda en: en["entity"]["select"]["output_priority"].pop("name"))
    assert_error(repo, "entity.select.output_priority.name is missing")


def test_issue_translation_missing(repo: Path) -> None:
    edit_json(en_json(repo), lambda en: en["issues"]["revert_failed"].pop("description"))
    assert_error(repo, "issues.revert_failed.description is missing")


# ---- quality_scale.yaml ------------------------------------------------------------------


def test_quality_scale_lists_every_rule_of_every_tier() -> None:
    rules = {rule for tier in checker.QUALITY_SCALE_RULES.values() for rule in tier}
    assert len(rules) == 54
    assert {"docs-triggers", "docs-conditions", "strict-typing"} <= rules


def test_quality_scale_rule_missing(repo: Path) -> None:
    replace_text(integration(repo) / "quality_scale.yaml", "  docs-conditions:", "  docs-x:")
    assert_error(repo, "rule docs-conditions is missing", "unknown rule docs-x")


def test_quality_scale_exempt_without_comment(repo: Path) -> None:
    path = integration(repo) / "quality_scale.yaml"
    lines = path.read_text().splitlines()
    start = lines.index("  docs-triggers:")
    path.write_text("\n".join([*lines[:start], "  docs-triggers: exempt", *lines[start + 3 :]]))
    assert_error(repo, "docs-triggers: exempt needs a comment")


def test_quality_scale_bad_status(repo: Path) -> None:
    replace_text(
        integration(repo) / "quality_scale.yaml",
        "  brands:\n    status: done",
        "  brands:\n    status: finished",
    )
    assert_error(repo, "brands: status must be done, todo or exempt")


def test_quality_scale_claimed_tier_must_be_met(repo: Path) -> None:
    """Claiming gold needs every bronze, silver and gold rule done or exempt."""
    tiers = checker.QUALITY_SCALE_RULES
    rules = {rule: "done" for tier in tiers.values() for rule in tier}
    rules["test-coverage"] = "todo"  # silver
    rules["strict-typing"] = "todo"  # platinum: not needed for gold
    (integration(repo) / "quality_scale.yaml").write_text(json.dumps({"rules": rules}))

    def claim_gold(manifest: dict[str, Any]) -> None:
        manifest["quality_scale"] = "gold"
        reorder(manifest, ["domain", "name", *sorted(set(manifest) - {"domain", "name"})])

    edit_json(integration(repo) / "manifest.json", claim_gold)
    assert_error(repo, "manifest claims gold but test-coverage (silver) is not done")


# ---- blueprints ---------------------------------------------------------------------------


# ---- the command line -----------------------------------------------------------------------


def test_main_exits_1_with_the_messages(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit_json(en_json(repo), lambda en: en["exceptions"].pop("telemetry_stale"))
    assert checker.main(["check_integration.py", str(repo)]) == 1
    out = capsys.readouterr().out
    assert "exceptions.telemetry_stale is missing" in out
    assert "FAILED: " in out


def test_main_exits_0_on_a_clean_integration(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A small integration written here, so the passing path does not depend on the repo."""
    folder = tmp_path / "custom_components" / "demo"
    (folder / "translations").mkdir(parents=True)
    (folder / "manifest.json").write_text(
        json.dumps(
            {
                "domain": "demo",
                "name": "Demo",
                "codeowners": ["@someone"],
                "config_flow": False,
                "documentation": "https://example.com/demo",
                "iot_class": "local_polling",
                "issue_tracker": "https://example.com/demo/issues",
                "version": "1.0.0",
            }
        )
    )
    (folder / "sensor.py").write_text(
        "from homeassistant.components.sensor import SensorEntityDescription\n"
        'TEMP = SensorEntityDescription(key="t", translation_key="temp")\n'
    )
    (folder / "services.yaml").write_text("ping:\n  fields:\n    host:\n      required: true\n")
    (folder / "__init__.py").write_text(
        "def setup(hass):\n"
        '    hass.services.async_register("demo", "ping", lambda call: None)\n'
        "    raise ValueError  # not translated: no translation_key\n"
    )
    (folder / "translations" / "en.json").write_text(
        json.dumps(
            {
                "entity": {"sensor": {"temp": {"name": "Temperature"}}},
                "services": {
                    "ping": {
                        "name": "Ping",
                        "description": "Pings.",
                        "fields": {"host": {"name": "Host", "description": "Where."}},
                    }
                },
            }
        )
    )
    assert checker.main(["check_integration.py", str(tmp_path)]) == 0
    assert capsys.readouterr().out.startswith("OK: ")
