"""lxp-bridge / eg4-bridge: the form, the entry it makes, and how it is discovered (pure).

The bridge keeps a retained last-will topic ``<namespace>/LWT`` (``online``/``offline``):
that announces it. Each inverter's datalog serial is then read from the levels of its
``<namespace>/<datalog>/inputs/all`` and retained ``<namespace>/<datalog>/hold/<n>`` topics.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..const import (
    CONF_DATALOGS,
    CONF_INVERTER_COUNT,
    CONF_PACK_COUNT,
    CONF_TOPIC_PREFIX,
    DEFAULT_LXP_TOPIC_PREFIX,
    MAX_INVERTERS,
    PROFILE_LXP_BRIDGE,
)
from .bridge import Bridge, Discovery, entry_data, keyed, text, titled, valid_topic_prefix
from .lxp_bridge import BRIDGE_LEVELS, LxpBridgeProfile

DISCOVERY_TOPIC = f"{DEFAULT_LXP_TOPIC_PREFIX}/LWT"
_DATALOG = re.compile(r"^[A-Za-z0-9]{1,16}$")
_WILL = frozenset({"online", "offline"})


def split_datalogs(value: object) -> list[str]:
    """The form's comma-separated text as a list, in unit order."""
    return [part.strip() for part in str(value).split(",") if part.strip()]


def _form_values(data: Mapping[str, Any]) -> dict[str, Any]:
    values = dict(data)
    if isinstance(datalogs := values.get(CONF_DATALOGS), list):
        values[CONF_DATALOGS] = ", ".join(datalogs)
    return values


def _normalize(user_input: Mapping[str, Any]) -> dict[str, Any]:
    data = entry_data(PROFILE_LXP_BRIDGE, user_input)
    data[CONF_DATALOGS] = split_datalogs(data.get(CONF_DATALOGS, ""))
    data[CONF_INVERTER_COUNT] = data[CONF_PACK_COUNT] = len(data[CONF_DATALOGS])
    return data


def _validate(data: Mapping[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not valid_topic_prefix(data.get(CONF_TOPIC_PREFIX, "")):
        errors[CONF_TOPIC_PREFIX] = "invalid_topic"
    datalogs = data.get(CONF_DATALOGS, [])
    if (
        not isinstance(datalogs, list)
        or not 1 <= len(datalogs) <= MAX_INVERTERS
        or len(set(datalogs)) != len(datalogs)
        or not all(_DATALOG.match(d) for d in datalogs)
    ):
        errors[CONF_DATALOGS] = "invalid_datalogs"
    return errors


class LxpSurvey:
    """The datalogs seen publishing under one lxp-bridge namespace."""

    def __init__(self, prefix: str) -> None:
        """Start from the namespace of the bridge's last will."""
        self.prefix = prefix
        self.datalogs: set[str] = set()

    def watch(self) -> list[str]:
        """Each datalog's inputs and retained holding registers."""
        return [f"{self.prefix}/+/inputs/all", f"{self.prefix}/+/hold/+"]

    def observe(self, topic: str, payload: str) -> None:
        """Note the datalog a topic names."""
        head = self.prefix + "/"
        if not topic.startswith(head):
            return
        datalog, _, rest = topic[len(head) :].partition("/")
        if (
            _DATALOG.match(datalog)
            and datalog not in BRIDGE_LEVELS
            and (rest == "inputs/all" or re.fullmatch(r"hold/[0-9]{1,4}", rest))
        ):
            self.datalogs.add(datalog)

    def values(self) -> dict[str, Any]:
        """The form as seen (datalogs in serial order: the user sets the unit order)."""
        return {CONF_TOPIC_PREFIX: self.prefix, CONF_DATALOGS: ", ".join(sorted(self.datalogs))}


def announce(topic: str, payload: str) -> LxpSurvey | None:
    """The bridge's last will under the default namespace."""
    if topic != DISCOVERY_TOPIC or payload.strip() not in _WILL:
        return None
    return LxpSurvey(DEFAULT_LXP_TOPIC_PREFIX)


LXP_BRIDGE = Bridge(
    name=PROFILE_LXP_BRIDGE,
    fields=(
        text(CONF_TOPIC_PREFIX, DEFAULT_LXP_TOPIC_PREFIX),
        text(CONF_DATALOGS, ""),
    ),
    normalize=_normalize,
    validate=_validate,
    unique_id=keyed(PROFILE_LXP_BRIDGE, CONF_TOPIC_PREFIX, CONF_DATALOGS),
    title=titled("EG4 via lxp-bridge ({})", CONF_TOPIC_PREFIX),
    build=LxpBridgeProfile.from_config,
    # One bridge per namespace, whichever datalogs it serves.
    identity=keyed(PROFILE_LXP_BRIDGE, CONF_TOPIC_PREFIX),
    discovery=Discovery(topics=(DISCOVERY_TOPIC,), announce=announce),
    form_values=_form_values,
)
