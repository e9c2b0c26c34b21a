"""What a bridge definition is: the setup side of one MQTT bridge, as data and functions (pure).

Each ``<bridge>_setup.py`` module exports one :class:`Bridge`: the form's fields, how a
submission becomes entry data (normalise, validate), the entry's unique id and title, how the
entry's profile is built, and how the bridge is recognised from what it publishes
(:class:`Discovery`). ``registry.py`` indexes them; the config flow only loops over the
registry. Validation returns translation keys of ``config.error``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from ..const import (
    CONF_INVERTER_COUNT,
    CONF_PACK_COUNT,
    CONF_PROFILE,
    CONF_TRANSPORT,
    MAX_INVERTERS,
    MAX_PACKS,
    TRANSPORT_MQTT,
)
from .base import Profile

_TOPIC_LEVELS = re.compile(r"^[A-Za-z0-9_.\-/]{1,128}$")


class FieldKind(StrEnum):
    """How a form field is shown and what it holds."""

    TEXT = "text"  # required text, pre-filled with its default
    OPTIONAL_TEXT = "optional_text"  # may be cleared; the default is only suggested
    COUNT = "count"  # a whole number from 1 to ``maximum``


@dataclass(frozen=True, slots=True)
class Field:
    """One field of a bridge's form."""

    key: str
    kind: FieldKind
    default: Any
    maximum: int = 0  # counts only


def text(key: str, default: str) -> Field:
    """A required text field."""
    return Field(key, FieldKind.TEXT, default)


def optional_text(key: str, default: str) -> Field:
    """A text field the user may clear (it then means "none")."""
    return Field(key, FieldKind.OPTIONAL_TEXT, default)


def count(key: str, default: int, maximum: int) -> Field:
    """A whole number from 1 to ``maximum``."""
    return Field(key, FieldKind.COUNT, default, maximum)


class Survey(Protocol):
    """What a pending discovery has seen of one bridge installation so far.

    Built from the message that announced the bridge; refined by every message on the
    topics it watches while the user has not yet confirmed.
    """

    def watch(self) -> list[str]:
        """Topic filters whose messages refine the survey."""

    def observe(self, topic: str, payload: str) -> None:
        """Take one message into account (messages of other installations are ignored)."""

    def values(self) -> dict[str, Any]:
        """The bridge form's values as seen: prefixes, units, packs."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Discovery:
    """How a bridge announces itself on MQTT."""

    # Topic filters for the manifest's "mqtt" key: a message there starts a discovery flow.
    topics: tuple[str, ...]
    # A message on one of those topics -> a survey of the installation, or None if the
    # message is not this bridge's.
    announce: Callable[[str, str], Survey | None]


def _form_values(data: Mapping[str, Any]) -> dict[str, Any]:
    return dict(data)


@dataclass(frozen=True, slots=True, kw_only=True)
class Bridge:
    """Everything the setup side knows about one MQTT bridge."""

    name: str  # the profile name stored in the entry (CONF_PROFILE)
    fields: tuple[Field, ...]
    normalize: Callable[[Mapping[str, Any]], dict[str, Any]]  # form input -> entry data
    validate: Callable[[Mapping[str, Any]], dict[str, str]]  # entry data -> field errors
    unique_id: Callable[[Mapping[str, Any]], str]
    title: Callable[[Mapping[str, Any]], str]
    build: Callable[[Mapping[str, Any]], Profile]  # entry data -> the running profile
    # One string per installation, from entry data or discovered form values: a discovered
    # bridge whose identity an entry already has is that entry's system.
    identity: Callable[[Mapping[str, Any]], str]
    discovery: Discovery
    # Entry data -> what the form shows (lists as text, for instance).
    form_values: Callable[[Mapping[str, Any]], dict[str, Any]] = field(default=_form_values)


# ---- helpers the definitions share -------------------------------------------------------


def valid_topic_prefix(value: object) -> bool:
    """Letters, digits and ``_ . - /``; no wildcards, no empty, leading or trailing level."""
    text_value = str(value).strip()
    if not _TOPIC_LEVELS.match(text_value):
        return False
    return not (text_value.startswith("/") or text_value.endswith("/") or "//" in text_value)


def entry_data(profile: str, user_input: Mapping[str, Any]) -> dict[str, Any]:
    """The form's values as entry data: stripped text, whole counts as ints."""
    data: dict[str, Any] = {CONF_TRANSPORT: TRANSPORT_MQTT, CONF_PROFILE: profile}
    for key, value in user_input.items():
        data[key] = value.strip() if isinstance(value, str) else value
    for key in (CONF_INVERTER_COUNT, CONF_PACK_COUNT):
        value = data.get(key)
        if isinstance(value, float) and value.is_integer():
            data[key] = int(value)
    return data


def count_errors(data: Mapping[str, Any]) -> dict[str, str]:
    """``invalid_count`` for a unit or pack count that is not a whole number in range."""
    errors: dict[str, str] = {}
    for key, maximum in ((CONF_INVERTER_COUNT, MAX_INVERTERS), (CONF_PACK_COUNT, MAX_PACKS)):
        value = data.get(key)
        if not isinstance(value, int | float) or int(value) != value or not 1 <= value <= maximum:
            errors[key] = "invalid_count"
    return errors


def seen_count(indexes: set[int], default: int, maximum: int) -> int:
    """The highest unit or pack number seen (within range), or ``default`` if none was."""
    seen = [index for index in indexes if 1 <= index <= maximum]
    return max(seen) if seen else default


def keyed(profile: str, *fields: str) -> Callable[[Mapping[str, Any]], str]:
    """A unique id or identity: the profile, then these fields of the data, joined by ``:``.

    A list field (lxp-bridge's datalogs) counts as its items joined by ``,``.
    """

    def key(data: Mapping[str, Any]) -> str:
        values = (data[name] for name in fields)
        return ":".join(
            (profile, *(",".join(v) if isinstance(v, list) else str(v) for v in values))
        )

    return key


def titled(template: str, name: str) -> Callable[[Mapping[str, Any]], str]:
    """An entry's title: ``template`` with the data's field ``name`` in place of ``{}``."""

    def title(data: Mapping[str, Any]) -> str:
        return template.format(data[name])

    return title
