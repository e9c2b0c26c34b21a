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
    """A copy of what the checker reads: the integration, hacs.json and the blueprints."""
    shutil.copytree(
        ROOT / "custom_components" / "eg4",
        tmp_path / "custom_components" / "eg4",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    shutil.copytree(ROOT / "blueprints", tmp_path / "blueprints")
    shutil.copy(ROOT / "hacs.json", tmp_path / "hacs.json")
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
        ("exceptions", "rejected_out_of_range"),  # f"rejected_{err.reason}"
        ("exceptions", "limit_above_ceiling"),  # f"limit_{err.reason}"
        ("exceptions", "plan_no_levers"),  # f"plan_{err.reason}"
        ("exceptions", "write_rolled_back"),  # a local variable set in branches
        ("exceptions", "mqtt_unavailable"),
        ("issues", "revert_failed"),
        ("selector", "server"),
    ):
        assert expected in found, expected


# ---- manifest.json and hacs.json ----------------------------------------------------------


def test_manifest_key_out_of_order(repo: Path) -> None:
    edit_json(
        integration(repo) / "manifest.json", lambda m: reorder(m, ["domain", "name", "version"])
    )
    assert_error(repo, "keys after domain and name must be in alphabetical order")


def test_manifest_name_before_domain(repo: Path) -> None:
    edit_json(integration(repo) / "manifest.json", lambda m: reorder(m, ["name"]))
    assert_error(repo, "the first keys must be domain, name")


def test_manifest_without_version(repo: Path) -> None:
    edit_json(integration(repo) / "manifest.json", lambda m: m.pop("version"))
    assert_error(repo, "required key 'version' is missing")


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("documentation", "https://www.home-assistant.io/integrations/eg4", "must not point"),
        ("documentation", "http://example.com/eg4", "must be an https:// URL"),
        ("issue_tracker", "github.com/eg4-ha/eg4/issues", "issue_tracker"),
        ("codeowners", ["eg4-ha"], "codeowners"),
        ("iot_class", "local_pushing", "iot_class 'local_pushing' is not one of"),
        ("integration_type", "gadget", "integration_type 'gadget' is not one of"),
        ("version", "one point two", "not a valid CalVer/SemVer/PEP 440 version"),
        ("config_flow", False, "config_flow is False but config_flow.py exists"),
    ],
)
def test_manifest_bad_values(repo: Path, key: str, value: object, message: str) -> None:
    edit_json(integration(repo) / "manifest.json", lambda m: m.update({key: value}))
    assert_error(repo, message)


def test_manifest_unknown_key(repo: Path) -> None:
    edit_json(integration(repo) / "manifest.json", lambda m: m.update({"zz_extra": True}))
    assert_error(repo, "unknown key 'zz_extra'")


def test_folder_name_differs_from_domain(repo: Path) -> None:
    integration(repo).rename(repo / "custom_components" / "eg4_local")
    found = errors(repo)
    assert any("domain 'eg4' differs from the folder name 'eg4_local'" in e for e in found)


def test_hacs_extra_key(repo: Path) -> None:
    edit_json(repo / "hacs.json", lambda h: h.update({"domains": ["sensor"]}))
    assert_error(repo, "key 'domains' is not accepted by HACS")


def test_hacs_without_name(repo: Path) -> None:
    edit_json(repo / "hacs.json", lambda h: h.pop("name"))
    assert_error(repo, "[hacs] name is required")


def test_hacs_zip_release_without_filename(repo: Path) -> None:
    edit_json(repo / "hacs.json", lambda h: h.update({"zip_release": True}))
    assert_error(repo, "zip_release needs filename")


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


def test_exception_key_built_from_an_error_reason(repo: Path) -> None:
    """f"rejected_{err.reason}": every reason SettingRejectedError is raised with counts."""
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


def test_fixable_issue_with_a_description(repo: Path) -> None:
    """hassfest: a fixable issue's texts are its fix flow's only."""

    def describe(en: dict[str, Any]) -> None:
        en["issues"]["soc_drift"]["description"] = "Drifted."

    edit_json(en_json(repo), describe)
    assert_error(repo, "issues.soc_drift.description is not allowed (the issue is fixable)")


def test_fix_flow_texts_missing(repo: Path) -> None:
    """The repair flow's form and abort reasons live under the issue's fix_flow."""

    def strip(en: dict[str, Any]) -> None:
        fix_flow = en["issues"]["soc_drift"]["fix_flow"]
        fix_flow["step"].pop("confirm")
        fix_flow["abort"].pop("already_running")

    edit_json(en_json(repo), strip)
    assert_error(
        repo,
        "issues.soc_drift.fix_flow.step.confirm is missing",
        "issues.soc_drift.fix_flow.abort.already_running is missing",
    )


def test_config_flow_field_without_data_description(repo: Path) -> None:
    edit_json(
        en_json(repo),
        lambda en: en["config"]["step"]["lxp_bridge"]["data_description"].pop("datalogs"),
    )
    assert_error(repo, "config.step.lxp_bridge.data_description.datalogs is missing")


def test_config_flow_error_without_translation(repo: Path) -> None:
    edit_json(en_json(repo), lambda en: en["config"]["error"].pop("invalid_datalogs"))
    assert_error(repo, "config.error.invalid_datalogs is missing")


def test_config_flow_step_without_translation(repo: Path) -> None:
    edit_json(en_json(repo), lambda en: en["config"]["step"].pop("station"))
    assert_error(repo, "config.step.station is missing")


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


BLUEPRINT = "blueprints/automation/eg4/calibration_result_notify.yaml"


def test_blueprint_unknown_input_reference(repo: Path) -> None:
    replace_text(repo / BLUEPRINT, "phases: !input phases", "phases: !input results")
    assert_error(repo, "!input results is not declared", "input phases is never used")


def test_blueprint_input_without_selector(repo: Path) -> None:
    replace_text(
        repo / BLUEPRINT,
        "      selector:\n        text:\n",
        "\n",
    )
    assert_error(repo, "input notify_action has no selector")


def test_blueprint_without_name(repo: Path) -> None:
    replace_text(repo / BLUEPRINT, "  name: EG4 notify on calibration results\n", "")
    assert_error(repo, "blueprint.name is missing")


def test_blueprint_calls_an_unknown_field(repo: Path) -> None:
    replace_text(
        repo / "blueprints/automation/eg4/monthly_calibration.yaml",
        '      method: "{{ method }}"\n',
        '      method: "{{ method }}"\n      force: true\n',
    )
    assert_error(repo, "eg4.run_calibration has no field force")


def test_blueprint_device_filter_in_target(repo: Path) -> None:
    replace_text(
        repo / BLUEPRINT,
        "      selector:\n        text:\n",
        "      selector:\n        target:\n          device:\n            integration: eg4\n",
    )
    assert_error(repo, "input notify_action: no device filter in a target")


def test_blueprint_that_does_not_parse(repo: Path) -> None:
    (repo / "blueprints/automation/eg4/broken.yaml").write_text("blueprint: [unclosed\n")
    assert_error(repo, "broken.yaml does not parse")


# ---- the command line -----------------------------------------------------------------------


def test_main_exits_1_with_the_messages(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit_json(repo / "hacs.json", lambda h: h.update({"domains": ["sensor"]}))
    assert checker.main(["check_integration.py", str(repo)]) == 1
    out = capsys.readouterr().out
    assert "ERROR [hacs] key 'domains' is not accepted by HACS" in out
    assert "FAILED: " in out


def test_main_exits_0_on_a_clean_integration(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A small integration written here, so the passing path does not depend on the repo."""
    folder = tmp_path / "custom_components" / "demo"
    (folder / "translations").mkdir(parents=True)
    (tmp_path / "hacs.json").write_text(json.dumps({"name": "Demo", "homeassistant": "2025.4.0"}))
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
