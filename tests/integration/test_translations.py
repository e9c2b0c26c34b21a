"""Nothing the integration shows falls back to an untranslated key.

* Entities of real setups (powermon + lvx-control, Solar Assistant, lxp-bridge, fed realistic
  messages): every entity has a translation key whose ``entity.<domain>.<key>.name`` exists and
  is the name Home Assistant gave it; every option of an ENUM sensor or a select has a
  ``state`` translation.
* Errors: every translation key the code passes (entity descriptions, raised errors, repair
  issues, selectors) exists, by the same AST walk as ``scripts/check_integration.py``; errors
  raised through Home Assistant render their translated message.
* Config, reconfigure, reauth and options flows: every form field shown has ``data`` and
  ``data_description``, every select option, menu option, error and abort reason is translated.
* Every string renders in the frontend as it reads: no ``Translation error`` from the ICU
  MessageFormat parser the frontend uses (``messageformat.py`` models it), no markup-like
  ``<word>`` read as a tag, no apostrophe escape that swallows text.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from string import Formatter
from types import ModuleType
from typing import Any
from unittest.mock import MagicMock, patch

import pytest
from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import ATTR_DEVICE_CLASS, ATTR_FRIENDLY_NAME, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.selector import SelectSelector
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.eg4.calibration import StopReason
from custom_components.eg4.cloud import (
    Account,
    Eg4AuthError,
    Eg4PermissionError,
    Eg4TransientError,
    InverterRef,
    Plant,
)
from custom_components.eg4.cloud import login as cloud_login
from custom_components.eg4.const import DOMAIN

from . import messageformat
from .conftest import LXP_DATA, POWERMON_DATA, SOLAR_ASSISTANT_DATA, entries_on

ROOT = Path(__file__).resolve().parents[2]
INTEGRATION = ROOT / "custom_components" / DOMAIN
EN: dict[str, Any] = json.loads((INTEGRATION / "translations" / "en.json").read_text())

CLOUD_DATA = {
    "transport": "cloud",
    "server": "eg4",
    "username": "solar@example.com",
    "password": "correct horse battery staple",
    "plant_id": 10001,
}
HOME = Plant(
    plant_id=10001,
    name="Home",
    inverters=(InverterRef(serial="4500000001", model="18KPV", device_type=6),),
)
BARN = Plant(
    plant_id=10002,
    name="Barn",
    inverters=(InverterRef(serial="4500000003", model="18KPV", device_type=6),),
)
GRIDBOSS_ONLY = Plant(
    plant_id=10003,
    name="Meter room",
    inverters=(InverterRef(serial="5000000002", model="GridBOSS", device_type=9),),
)


def _load_checker() -> ModuleType:
    """scripts/check_integration.py as a module (shared with tests/unit/test_checker.py)."""
    if "check_integration" in sys.modules:
        return sys.modules["check_integration"]
    path = ROOT / "scripts" / "check_integration.py"
    spec = importlib.util.spec_from_file_location("check_integration", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


def placeholders(text: str) -> set[str]:
    """The ``{name}`` placeholders of a translation."""
    return {name for _, name, _, _ in Formatter().parse(text) if name}


# ---- entities --------------------------------------------------------------------------------


def entity_problems(hass: HomeAssistant, entry: MockConfigEntry) -> tuple[int, list[str]]:
    """(entities checked, every untranslated name, option or state found)."""
    problems: list[str] = []
    entities = er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    devices = dr.async_get(hass)
    for entity in entities:
        where = entity.entity_id
        key = entity.translation_key
        if key is None:
            problems.append(f"{where}: no translation_key")
            continue
        texts = EN["entity"].get(entity.domain, {}).get(key)
        if not isinstance(texts, dict) or not texts.get("name"):
            problems.append(f"{where}: entity.{entity.domain}.{key}.name is missing")
            continue
        if entity.original_name != texts["name"]:
            problems.append(f"{where}: named {entity.original_name!r}, not {texts['name']!r}")
        state = hass.states.get(entity.entity_id)
        if state is None:
            problems.append(f"{where}: has no state")
            continue
        device = devices.async_get(entity.device_id) if entity.device_id else None
        expected = texts["name"] if device is None else f"{device.name} {texts['name']}"
        if state.attributes.get(ATTR_FRIENDLY_NAME) != expected:
            problems.append(f"{where}: friendly name {state.attributes.get(ATTR_FRIENDLY_NAME)!r}")
        enum = entity.domain == "select" or (
            entity.domain == "sensor"
            and state.attributes.get(ATTR_DEVICE_CLASS) == SensorDeviceClass.ENUM
        )
        if enum:
            states = texts.get("state") or {}
            options = state.attributes.get("options") or []
            if not options:
                problems.append(f"{where}: an ENUM entity without options")
            problems.extend(
                f"{where}: entity.{entity.domain}.{key}.state.{option} is missing"
                for option in options
                if not states.get(option)
            )
    return len(entities), problems


MINIMUM_ENTITIES = {"powermon_loaded": 100, "solar_assistant_loaded": 90, "lxp_bridge_loaded": 20}


@pytest.fixture(params=list(MINIMUM_ENTITIES))
def loaded(request: pytest.FixtureRequest) -> tuple[str, MockConfigEntry]:
    """Each realistic setup in turn (a sync fixture, so it can pick an async one by name)."""
    return request.param, request.getfixturevalue(request.param)


async def test_every_entity_is_translated(
    hass: HomeAssistant,
    entity_registry_enabled_by_default: None,
    loaded: tuple[str, MockConfigEntry],
) -> None:
    """Every entity's name and states, those off by default included (turned on here)."""
    name, entry = loaded
    count, problems = entity_problems(hass, entry)
    assert count >= MINIMUM_ENTITIES[name]  # the realistic data really created the entities
    assert problems == []


async def test_enum_states_shown_are_translated(
    hass: HomeAssistant, powermon_loaded: MockConfigEntry
) -> None:
    """The current state of every ENUM sensor and select is one of its translated states."""
    checked = 0
    for entity in entries_on(hass, powermon_loaded.entry_id):
        state = hass.states.get(entity.entity_id)
        assert state is not None
        if state.state in (STATE_UNKNOWN, "unavailable") or "options" not in state.attributes:
            continue
        states = EN["entity"][entity.domain][entity.translation_key]["state"]
        assert state.state in states, entity.entity_id
        checked += 1
    assert checked >= 5


# ---- translation keys in the code and translated errors --------------------------------------


def test_every_translation_key_of_the_code_exists() -> None:
    """Entity descriptions, raised errors, repair issues, selectors: the checker's AST walk."""
    checker = _load_checker()
    report = checker.Report()
    source = checker.Source(INTEGRATION, report)
    checker.check_code_keys(source, EN, report)
    uses = checker.collect_uses(source, report)
    assert {use.section[0] for use in uses} == {"entity", "exceptions", "issues", "selector"}
    assert report.errors == []
    assert not [line for line in report.warnings if "not checked" in line]


def assert_translated(err: HomeAssistantError) -> None:
    """The error has a known key and its text is the translated message, filled in."""
    assert err.translation_domain == DOMAIN
    key = err.translation_key
    assert key in EN["exceptions"], key
    message = EN["exceptions"][key]["message"]
    given = err.translation_placeholders or {}
    assert placeholders(message) <= set(given), (key, given)
    # Home Assistant drops a final full stop when it renders an exception message.
    assert str(err).rstrip(".") == message.format(**given).rstrip(".")


@pytest.mark.parametrize(
    ("domain", "service", "data", "key"),
    [
        ("number", "set_value", {"value": 65}, "rejected_not_on_step"),
        (DOMAIN, "run_calibration", {"config_entry_id": "nope"}, "invalid_config_entry"),
        (DOMAIN, "run_calibration", {"max_duration": {"hours": 13}}, "limit_above_ceiling"),
        (DOMAIN, "run_calibration", {"temperature_limit": 60}, "limit_above_ceiling"),
        (DOMAIN, "run_calibration", {"cell_voltage_limit": 3.0}, "limit_below_floor"),
        (DOMAIN, "cancel_calibration", {}, "no_active_calibration"),
    ],
)
async def test_errors_raised_through_home_assistant_are_translated(
    hass: HomeAssistant,
    powermon_loaded: MockConfigEntry,
    domain: str,
    service: str,
    data: dict[str, Any],
    key: str,
) -> None:
    if domain == "number":
        data = {"entity_id": "number.eg4_lvx6048_max_charge_current", **data}
    elif service == "run_calibration":  # a dry run never changes a setting
        data = {"config_entry_id": powermon_loaded.entry_id, "dry_run": True, **data}
    else:
        data = {"config_entry_id": powermon_loaded.entry_id, **data}
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            domain, service, data, blocking=True, return_response=domain == DOMAIN
        )
    assert err.value.translation_key == key
    assert_translated(err.value)


# ---- config flow ------------------------------------------------------------------------------


def assert_result_translated(result: Any, section: str = "config") -> None:
    """Every text the frontend looks up for this flow result exists."""
    kind = result["type"]
    if kind is FlowResultType.ABORT:
        assert EN[section]["abort"].get(result["reason"]), result["reason"]
        return
    step_id = result["step_id"]
    step = EN[section]["step"].get(step_id)
    assert isinstance(step, dict), f"{section}.step.{step_id} is missing"
    given = set(result.get("description_placeholders") or {})
    for text_key in ("title", "description"):
        needed = placeholders(step.get(text_key, ""))
        assert needed <= given, f"{section}.step.{step_id}.{text_key} needs {needed - given}"
    if kind is FlowResultType.MENU:
        for option in result["menu_options"]:
            assert step.get("menu_options", {}).get(option), f"menu option {option}"
        return
    assert kind is FlowResultType.FORM
    for marker, validator in result["data_schema"].schema.items():
        name = str(marker)
        assert step.get("data", {}).get(name), f"{section}.step.{step_id}.data.{name}"
        assert step.get("data_description", {}).get(name), (
            f"{section}.step.{step_id}.data_description.{name}"
        )
        if isinstance(validator, SelectSelector) and validator.config.get("translation_key"):
            options = EN["selector"][validator.config["translation_key"]]["options"]
            for option in validator.config["options"]:
                value = option if isinstance(option, str) else option["value"]
                assert options.get(value), f"selector option {value}"
    for error in (result.get("errors") or {}).values():
        assert EN[section]["error"].get(error), f"{section}.error.{error}"


@pytest.fixture
def no_setup() -> Iterator[None]:
    """Entries the flows create or change are not set up for real."""
    with (
        patch("custom_components.eg4.async_setup_entry", return_value=True),
        patch("custom_components.eg4.async_unload_entry", return_value=True),
    ):
        yield


@pytest.fixture
def client_cls() -> Iterator[MagicMock]:
    """The portal client the config flow builds; logins see two stations by default."""
    with patch.object(cloud_login, "Eg4CloudClient", autospec=True) as cls:
        cls.return_value.login.return_value = Account(user_id=1, plants=(HOME, BARN))
        yield cls


async def test_local_mqtt_flow_steps_and_errors(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    seen: set[str] = set()
    bad = {
        "powermon_lvx": {
            **{k: v for k, v in POWERMON_DATA.items() if k not in ("transport", "profile")},
            "state_topic_prefix": "bad/#",
            "inverter_prefix": "no spaces",
            "battery_prefix": "lifepower4",
            "max_charge_current_command": "/leading",
        },
        "solar_assistant": {
            **{k: v for k, v in SOLAR_ASSISTANT_DATA.items() if k not in ("transport", "profile")},
            "topic_prefix": "/solar",
        },
        "lxp_bridge": {"topic_prefix": "lxp", "datalogs": "BA1, BA1"},
    }
    for profile, data in bad.items():
        result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
        assert_result_translated(result)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"next_step_id": "local_mqtt"}
        )
        assert_result_translated(result)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"profile": profile}
        )
        assert result["step_id"] == profile
        assert_result_translated(result)
        result = await hass.config_entries.flow.async_configure(result["flow_id"], data)
        assert result["type"] is FlowResultType.FORM
        assert result["errors"]
        assert_result_translated(result)
        seen |= set(result["errors"].values())
        hass.config_entries.flow.async_abort(result["flow_id"])
    assert seen == {"invalid_topic", "invalid_name", "invalid_command_name", "invalid_datalogs"}


async def test_local_mqtt_abort_without_mqtt(hass: HomeAssistant) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "local_mqtt"}
    )
    assert result["reason"] == "mqtt_not_configured"
    assert_result_translated(result)


@pytest.mark.usefixtures("no_setup")
async def test_cloud_flow_steps_errors_and_aborts(
    hass: HomeAssistant, client_cls: MagicMock
) -> None:
    login = client_cls.return_value.login

    async def cloud_form() -> Any:
        result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"next_step_id": "cloud"}
        )
        assert result["step_id"] == "cloud"
        assert_result_translated(result)
        return result

    form = {"server": "eg4", "username": "solar@example.com", "password": "pw"}
    result = await cloud_form()
    for side_effect, error in (
        (Eg4AuthError("refused"), "invalid_auth"),
        (Eg4TransientError("busy"), "cannot_connect"),
        (Eg4PermissionError("apiBlocked"), "permission_denied"),
        (RuntimeError("boom"), "unknown"),
    ):
        login.side_effect = side_effect
        with patch.object(cloud_login, "LOGIN_RETRY_DELAYS", (0.0,)):
            result = await hass.config_entries.flow.async_configure(result["flow_id"], form)
        assert result["errors"] == {"base": error}
        assert_result_translated(result)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**form, "server": "custom", "custom_url": "ftp://x"}
    )
    assert result["errors"] == {"custom_url": "invalid_url"}
    assert_result_translated(result)

    login.side_effect = None
    result = await hass.config_entries.flow.async_configure(result["flow_id"], form)
    assert result["step_id"] == "station"
    assert_result_translated(result)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"plant_id": "10001"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY

    login.return_value = Account(user_id=1, plants=(GRIDBOSS_ONLY,))
    result = await hass.config_entries.flow.async_configure((await cloud_form())["flow_id"], form)
    assert result["reason"] == "no_inverters"
    assert_result_translated(result)

    login.return_value = Account(user_id=1, plants=(HOME,))
    result = await hass.config_entries.flow.async_configure((await cloud_form())["flow_id"], form)
    assert result["reason"] == "already_configured"
    assert_result_translated(result)


@pytest.mark.usefixtures("no_setup")
async def test_reauth_reconfigure_and_options_of_a_cloud_entry(
    hass: HomeAssistant, client_cls: MagicMock
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="EG4 Home",
        data=dict(CLOUD_DATA),
        unique_id="cloud:https://monitor.eg4electronics.com:10001",
    )
    entry.add_to_hass(hass)
    login = client_cls.return_value.login

    result = await entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    assert_result_translated(result)
    login.side_effect = Eg4AuthError("refused")
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"password": "x"})
    assert result["errors"] == {"base": "invalid_auth"}
    assert_result_translated(result)
    hass.config_entries.flow.async_abort(result["flow_id"])

    login.side_effect = None
    login.return_value = Account(user_id=1, plants=(BARN,))
    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure_cloud"
    assert_result_translated(result)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"server": "eg4", "username": "other@example.com"}
    )
    assert result["reason"] == "wrong_account"
    assert_result_translated(result)

    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["step_id"] == "init"
    assert {str(key) for key in result["data_schema"].schema} == {
        "scan_interval",
        "stale_timeout",
        "confirm_timeout",
        "write_budget_per_hour",
    }
    assert_result_translated(result, "options")


@pytest.mark.parametrize(
    "data", [POWERMON_DATA, SOLAR_ASSISTANT_DATA, LXP_DATA], ids=lambda d: d["profile"]
)
async def test_reconfigure_and_options_of_mqtt_entries(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, data: dict[str, Any]
) -> None:
    entry = MockConfigEntry(domain=DOMAIN, title="EG4", data=dict(data), unique_id="x")
    entry.add_to_hass(hass)

    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == f"reconfigure_{data['profile']}"
    assert_result_translated(result)

    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert {str(key) for key in result["data_schema"].schema} == {
        "stale_timeout",
        "confirm_timeout",
        "add_new_sources",
        "write_budget_per_hour",
        "entity_interval",
    }
    assert_result_translated(result, "options")


BRIDGE_NAMES = {
    "powermon_lvx": ("powermon", "lvx-control"),
    "solar_assistant": ("Solar Assistant",),
    "lxp_bridge": ("lxp-bridge", "eg4-bridge"),
}


@pytest.mark.parametrize(
    "data", [POWERMON_DATA, SOLAR_ASSISTANT_DATA, LXP_DATA], ids=lambda d: d["profile"]
)
async def test_reconfigure_help_speaks_of_the_entry_bridge_only(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, data: dict[str, Any]
) -> None:
    """Reconfiguring a powermon entry does not explain its fields in Solar Assistant's terms."""
    entry = MockConfigEntry(domain=DOMAIN, title="EG4", data=dict(data), unique_id="x")
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    help_texts = EN["config"]["step"][result["step_id"]]["data_description"]
    others = [
        name
        for profile, names in BRIDGE_NAMES.items()
        if profile != data["profile"]
        for name in names
    ]
    wrong = {
        str(field): help_texts[str(field)]
        for field in result["data_schema"].schema
        if any(name in help_texts[str(field)] for name in others)
    }
    assert wrong == {}


def test_bridge_picker_describes_every_bridge() -> None:
    """The help under the bridge picker names each bridge the picker offers."""
    help_text = EN["config"]["step"]["local_mqtt"]["data_description"]["profile"]
    assert set(EN["selector"]["profile"]["options"]) == set(BRIDGE_NAMES)
    for names in BRIDGE_NAMES.values():
        assert names[0] in help_text


def test_a_battery_is_called_a_battery_everywhere() -> None:
    """The devices are "Battery 1" ... "Battery 6": no text calls them packs instead.

    "battery pack" is the same word; a bare "pack" (as the dashboard's "Pack 3" once did) is
    a second name for one thing.
    """
    bare = re.compile(r"(?<!battery )\bpacks?\b", re.IGNORECASE)
    placeholder = re.compile(r"\{[^{}]*\}")
    found = {key: text for key, text in strings(EN) if bare.search(placeholder.sub("", text))}
    assert found == {}


def test_every_stop_reason_is_translated_where_a_reason_is_shown() -> None:
    """The ``reason`` attribute of the calibration sensors has a label for every reason."""
    reasons = {reason.value for reason in StopReason}
    for key in ("calibration_state", "last_calibration_result"):
        attribute = EN["entity"]["sensor"][key]["state_attributes"]["reason"]
        assert attribute["name"] == "Reason"
        assert set(attribute["state"]) == reasons, key
    assert (
        EN["entity"]["sensor"]["calibration_state"]["state_attributes"]["reason"]["state"][
            "lever_changed"
        ]
        == "Setting changed outside EG4"
    )


def test_every_flow_text_has_a_description() -> None:
    """Also for steps the tests above cannot reach: data and data_description agree."""
    for section in ("config", "options"):
        for step_id, step in EN[section]["step"].items():
            data = set(step.get("data", {}))
            described = set(step.get("data_description", {}))
            assert data == described, (section, step_id, data ^ described)


# ---- every string renders in the frontend ------------------------------------------------------


def strings(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(dotted key, text) of every string of a translations file."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from strings(value, f"{path}.{key}" if path else key)
    elif isinstance(node, str):
        yield path, node


# What intl-messageformat 10.7.18 (the frontend's parser) makes of these; each was run through
# the real library while the checker was written, and a differential fuzz of 18,000 random
# messages built from these characters agreed on every parse error and rendered text.
FRONTEND_RENDERS = [
    # The strings: a word in angle brackets opens a tag.
    ("topics look like <prefix>/<inverter prefix>_1_battery_voltage/state.", "INVALID_TAG"),
    ("Where lvx-control listens, e.g. <prefix>/output_priority.", "UNCLOSED_TAG"),
    ("a <b>tag</b> needs a function", 'variable "b" was not provided'),
    ("<b>x</i>", "UNMATCHED_CLOSING_TAG"),
    ("text </b>", "UNMATCHED_CLOSING_TAG"),
    # Angle brackets that are not tags are text.
    ("a < b, 3<5, x > y, <_x, <br/>", "a < b, 3<5, x > y, <_x, <br/>"),
    # Braces: an argument needs a name and its closing brace; a lone } is text.
    ("{name} is {value}", "Ann is 42"),
    ("{ name }", "Ann"),
    ("{}", "EMPTY_ARGUMENT"),
    ("{name", "EXPECT_ARGUMENT_CLOSING_BRACE"),
    ("{entry-id}", "MALFORMED_ARGUMENT"),
    ("{name, bogus}", "INVALID_ARGUMENT_TYPE"),
    ("{count, plural, one {# pack}}", "MISSING_OTHER_CLAUSE"),
    ("{count, plural, one {# pack} other {# packs}}", "2 packs"),
    ("a } b", "a } b"),
    ("{missing}", 'variable "missing" was not provided'),
    # Apostrophes: plain text, except '' and a quote before { } < >.
    ("Solar Assistant's prefix", "Solar Assistant's prefix"),
    ("it''s", "it's"),
    ("'{name}' stays", "{name} stays"),
    ("'<prefix>'/state", "<prefix>/state"),
]


@pytest.mark.parametrize(("message", "expected"), FRONTEND_RENDERS)
def test_checker_renders_as_the_frontend_does(message: str, expected: str) -> None:
    shown = messageformat.localize(message, {"name": "Ann", "value": 42, "count": 2})
    if expected.replace("_", "").isalpha() and expected.isupper():
        assert shown == f"Translation error: {expected}"
    elif "was not provided" in expected:
        assert shown.startswith("Translation Error: ")
        assert expected in shown
    else:
        assert shown == expected


def test_every_string_renders_as_written() -> None:
    """No string the frontend shows fails to parse, hides a tag, or loses text to an escape.

    Each ``{placeholder}`` is given as itself, so a string renders exactly as it is written
    unless the frontend's parser reads something in it as markup or an escape.
    """
    problems: list[str] = []
    checked = 0
    for key, text in strings(EN):
        checked += 1
        try:
            elements = messageformat.parse(text)
        except messageformat.MessageSyntaxError as err:
            problems.append(f"{key}: Translation error: {err.kind} (at {err.offset}): {text!r}")
            continue
        if found := messageformat.tags(elements):
            problems.append(f"{key}: read as markup <{'>, <'.join(found)}>: {text!r}")
            continue
        names = messageformat.arguments(elements)
        shown = messageformat.localize(text, {name: f"{{{name}}}" for name in names})
        if shown != text:
            problems.append(f"{key}: shown as {shown!r}")
    assert checked > 250
    assert problems == []
