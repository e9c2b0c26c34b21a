"""Constants for the EG4 integration."""

from __future__ import annotations

from typing import Final

DOMAIN: Final = "eg4"

# Config entry data keys (a contract shared with tests and the README).
CONF_TRANSPORT: Final = "transport"
CONF_PROFILE: Final = "profile"
CONF_STATE_TOPIC_PREFIX: Final = "state_topic_prefix"
CONF_INVERTER_PREFIX: Final = "inverter_prefix"
CONF_BATTERY_PREFIX: Final = "battery_prefix"
CONF_COMMAND_TOPIC_PREFIX: Final = "command_topic_prefix"
CONF_TOPIC_PREFIX: Final = "topic_prefix"
CONF_INVERTER_COUNT: Final = "inverter_count"
CONF_PACK_COUNT: Final = "pack_count"
CONF_CMD_MAX_CHARGE_CURRENT: Final = "max_charge_current_command"
CONF_CMD_MAX_UTILITY_CHARGE_CURRENT: Final = "max_utility_charge_current_command"
CONF_CMD_STOP_CHARGE_VOLTAGE: Final = "stop_charge_voltage_command"
CONF_DATALOGS: Final = "datalogs"

# Options.
CONF_STALE_TIMEOUT: Final = "stale_timeout"
CONF_CONFIRM_TIMEOUT: Final = "confirm_timeout"
# MQTT entries: units and packs that start publishing after set-up join (default on).
CONF_ADD_NEW_SOURCES: Final = "add_new_sources"
# The owner's setting writes allowed in any hour (budget.py); 0 turns the budget off.
CONF_WRITE_BUDGET: Final = "write_budget_per_hour"
MAX_WRITE_BUDGET: Final = 3600
# Seconds between two state writes of a measurement entity (fanout.py); 0 writes every change.
# Settings, protection, availability, the calibration and threshold crossings write at once.
CONF_ENTITY_INTERVAL: Final = "entity_interval"
DEFAULT_ENTITY_INTERVAL: Final = 10
MAX_ENTITY_INTERVAL: Final = 300

TRANSPORT_MQTT: Final = "mqtt"
TRANSPORT_CLOUD: Final = "cloud"

# Cloud entries: CONF_USERNAME / CONF_PASSWORD from homeassistant.const, plus:
CONF_SERVER: Final = "server"  # a region key of cloud.SERVERS ("eg4", "eu", ...) or an https URL
CONF_PLANT_ID: Final = "plant_id"  # int
CONF_SCAN_INTERVAL: Final = "scan_interval"  # option, seconds
DEFAULT_SCAN_INTERVAL: Final = 60
MIN_SCAN_INTERVAL: Final = 30
MAX_SCAN_INTERVAL: Final = 600

PROFILE_POWERMON_LVX: Final = "powermon_lvx"
PROFILE_SOLAR_ASSISTANT: Final = "solar_assistant"
PROFILE_LXP_BRIDGE: Final = "lxp_bridge"
PROFILES: Final = (PROFILE_POWERMON_LVX, PROFILE_SOLAR_ASSISTANT, PROFILE_LXP_BRIDGE)

DEFAULT_STATE_TOPIC_PREFIX: Final = "homeassistant/sensor"
DEFAULT_INVERTER_PREFIX: Final = "lvx6048"
DEFAULT_BATTERY_PREFIX: Final = "lifepower4"
DEFAULT_COMMAND_TOPIC_PREFIX: Final = "solar/control/lvx6048"
DEFAULT_TOPIC_PREFIX: Final = "solar_assistant"
DEFAULT_LXP_TOPIC_PREFIX: Final = "lxp"
DEFAULT_INVERTER_COUNT: Final = 2
DEFAULT_PACK_COUNT: Final = 6
DEFAULT_CMD_MAX_CHARGE_CURRENT: Final = "max_charge_current"
DEFAULT_CMD_MAX_UTILITY_CHARGE_CURRENT: Final = "max_utility_charge_current"
DEFAULT_CMD_STOP_CHARGE_VOLTAGE: Final = "stop_charge_voltage"

MAX_INVERTERS: Final = 9
MAX_PACKS: Final = 32

DEFAULT_STALE_TIMEOUT: Final = 180  # seconds without a message before a source is stale
MIN_STALE_TIMEOUT: Final = 30
MAX_STALE_TIMEOUT: Final = 3600
DEFAULT_CONFIRM_TIMEOUT: Final = 60  # seconds to wait for a readback after a write
MIN_CONFIRM_TIMEOUT: Final = 5
MAX_CONFIRM_TIMEOUT: Final = 600

MANUFACTURER: Final = "EG4 Electronics"
