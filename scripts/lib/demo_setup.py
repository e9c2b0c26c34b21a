"""Prepare a fresh Home Assistant config directory for scripts/demo.

Run with the demo venv's python (it imports Home Assistant for the auth store):

    python scripts/lib/demo_setup.py --config .demo/config --http-port 8123 --mqtt-port 1883

It writes, from scratch:

- configuration.yaml (from demo/configuration.yaml) and the Lovelace dashboard
  (demo/dashboard.yaml, symlinked so edits show on a browser refresh);
- custom_components/eg4 -> the repository's integration (a symlink);
- .storage/core.config_entries: an MQTT entry (the demo broker) and an eg4 entry with the
  data the integration's config flow creates for powermon + lvx-control;
- .storage/onboarding: every onboarding step done;
- .storage/auth and .storage/auth_provider.homeassistant: the owner (admin) user "demo"
  with password "demo", created through Home Assistant's own auth manager.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from homeassistant import config_entries
from homeassistant.auth import auth_manager_from_config
from homeassistant.auth.const import GROUP_ID_ADMIN
from homeassistant.components.mqtt import const as mqtt_const
from homeassistant.components.onboarding import STORAGE_VERSION as ONBOARDING_VERSION
from homeassistant.components.onboarding.const import STEPS
from homeassistant.core import HomeAssistant

DEMO_MARKER = ".eg4-demo"

EG4_DATA: dict[str, Any] = {
    "transport": "mqtt",
    "profile": "powermon_lvx",
    "state_topic_prefix": "homeassistant/sensor",
    "inverter_prefix": "lvx6048",
    "battery_prefix": "lifepower4",
    "command_topic_prefix": "solar/control/lvx6048",
    "inverter_count": 2,
    "pack_count": 6,
    "max_charge_current_command": "max_charge_current",
    "max_utility_charge_current_command": "max_utility_charge_current",
    "stop_charge_voltage_command": "stop_charge_voltage",
}
EG4_UNIQUE_ID = "powermon_lvx:homeassistant/sensor:lvx6048:lifepower4"
EG4_TITLE = "EG4 lvx6048"


def _entry(
    *,
    domain: str,
    title: str,
    data: dict[str, Any],
    unique_id: str | None,
    version: int,
    minor_version: int,
    now: str,
) -> dict[str, Any]:
    """One config entry, field for field as ConfigEntry.as_dict() stores it (HA 2026.2)."""
    return {
        "created_at": now,
        "data": data,
        "discovery_keys": {},
        "disabled_by": None,
        "domain": domain,
        "entry_id": uuid.uuid4().hex[:26].upper(),
        "minor_version": minor_version,
        "modified_at": now,
        "options": {},
        "pref_disable_new_entities": False,
        "pref_disable_polling": False,
        "source": "user",
        "subentries": [],
        "title": title,
        "unique_id": unique_id,
        "version": version,
    }


def _store(key: str, version: int, minor_version: int, data: Any) -> dict[str, Any]:
    return {"version": version, "minor_version": minor_version, "key": key, "data": data}


def _write_json(path: Path, content: Any) -> None:
    path.write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")
    path.chmod(0o600)


def write_storage(config: Path, mqtt_port: int) -> None:
    """Write core.config_entries and onboarding, in the formats of the installed Home Assistant."""
    now = datetime.now(UTC).isoformat()
    storage = config / ".storage"
    storage.mkdir(parents=True, exist_ok=True)
    entries = [
        _entry(
            domain="mqtt",
            title="127.0.0.1",
            data={"broker": "127.0.0.1", "port": mqtt_port},
            unique_id=None,
            version=mqtt_const.CONFIG_ENTRY_VERSION,
            minor_version=mqtt_const.CONFIG_ENTRY_MINOR_VERSION,
            now=now,
        ),
        _entry(
            domain="eg4",
            title=EG4_TITLE,
            data=dict(EG4_DATA),
            unique_id=EG4_UNIQUE_ID,
            version=1,
            minor_version=1,
            now=now,
        ),
    ]
    _write_json(
        storage / config_entries.STORAGE_KEY,
        _store(
            config_entries.STORAGE_KEY,
            config_entries.STORAGE_VERSION,
            config_entries.STORAGE_VERSION_MINOR,
            {"entries": entries},
        ),
    )
    _write_json(
        storage / "onboarding",
        _store("onboarding", ONBOARDING_VERSION, 1, {"done": list(STEPS)}),
    )


async def create_owner(config: Path, username: str, password: str) -> None:
    """The owner: an admin user with homeassistant-provider credentials (as onboarding does)."""
    hass = HomeAssistant(str(config))
    hass.auth = await auth_manager_from_config(hass, [{"type": "homeassistant"}], [])
    provider = hass.auth.auth_providers[0]
    await provider.async_initialize()
    user = await hass.auth.async_create_user("Demo", group_ids=[GROUP_ID_ADMIN])
    await provider.async_add_auth(username, password)  # type: ignore[attr-defined]
    credentials = await provider.async_get_or_create_credentials({"username": username})
    await hass.auth.async_link_user(user, credentials)
    if not (user.is_owner and user.is_admin):
        raise SystemExit("demo user was not created as owner/admin")
    # The auth store saves with a delay that only a started instance flushes: save it now.
    auth_store = hass.auth._store  # noqa: SLF001 - no public flush; pinned HA 2026.2.3
    await auth_store._store.async_save(auth_store._data_to_save())  # noqa: SLF001
    await hass.async_stop()


def prepare(args: argparse.Namespace) -> None:
    """Build the config directory from scratch."""
    repo: Path = args.repo.resolve()
    config: Path = args.config.resolve()
    if config.exists():
        if not (config / DEMO_MARKER).exists():
            raise SystemExit(
                f"{config} exists and was not made by scripts/demo (no {DEMO_MARKER}); "
                "refusing to delete it. Choose another EG4_DEMO_DIR."
            )
        shutil.rmtree(config)
    config.mkdir(parents=True)
    (config / DEMO_MARKER).write_text("created by scripts/demo; deleted on its next run\n")

    template = (repo / "demo" / "configuration.yaml").read_text(encoding="utf-8")
    (config / "configuration.yaml").write_text(
        template.replace("@HTTP_PORT@", str(args.http_port)), encoding="utf-8"
    )
    (config / "eg4-dashboard.yaml").symlink_to(repo / "demo" / "dashboard.yaml")
    (config / "custom_components").mkdir()
    (config / "custom_components" / "eg4").symlink_to(repo / "custom_components" / "eg4")

    write_storage(config, args.mqtt_port)
    asyncio.run(create_owner(config, args.username, args.password))


def main() -> None:
    """Entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=Path(__file__).resolve().parents[2])
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--http-port", type=int, required=True)
    parser.add_argument("--mqtt-port", type=int, required=True)
    parser.add_argument("--username", default="demo")
    parser.add_argument("--password", default="demo")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    prepare(args)


if __name__ == "__main__":
    main()
