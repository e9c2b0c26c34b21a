"""Fault injection: NAK rules (reject commands) and delay rules (apply later).

A *submit* is one command delivered to one or more units (the lvx-control bridge sends each
command to every parallel unit; Solar Assistant sends one command to one unit). A rule with
``unit=None`` acts on the whole submit (every unit in it rejects, or is delayed) and uses up one
count; a rule with ``unit=k`` (1-based) acts only on unit k's part.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from .settings import Command, InverterSettings, Setting, SettingValue


@dataclass
class NakRule:
    """Reject matching commands; ``remaining=None`` means forever."""

    remaining: int | None = 1
    setting: Setting | None = None
    value: SettingValue | None = None
    when_current: SettingValue | None = None
    unit: int | None = None
    reason: str = "NAK (injected)"

    def matches(self, unit: int, settings: InverterSettings, command: Command) -> bool:
        """Whether this rule applies to unit's part of command."""
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.unit is not None and self.unit != unit:
            return False
        if self.setting is None:
            return True
        for setting, value in command.changes:
            if setting is not self.setting:
                continue
            if self.value is not None and value != self.value:
                continue
            if self.when_current is not None and settings.get(setting) != self.when_current:
                continue
            return True
        return False

    def consume(self) -> None:
        """Use up one count."""
        if self.remaining is not None:
            self.remaining -= 1


@dataclass
class DelayRule:
    """Accept matching commands but apply them delay_s simulated seconds later."""

    delay_s: float
    remaining: int | None = None
    setting: Setting | None = None
    unit: int | None = None

    def matches(self, unit: int, command: Command) -> bool:
        """Whether this rule applies to unit's part of command."""
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.unit is not None and self.unit != unit:
            return False
        return self.setting is None or self.setting in command.settings

    def consume(self) -> None:
        """Use up one count."""
        if self.remaining is not None:
            self.remaining -= 1


@dataclass
class FaultInjector:
    """The rules in force; the twin consults it on every submit."""

    nak_rules: list[NakRule] = field(default_factory=list)
    delay_rules: list[DelayRule] = field(default_factory=list)

    def nak_next(self, count: int = 1, *, unit: int | None = None) -> NakRule:
        """Reject the next count commands (optionally only on one unit)."""
        rule = NakRule(remaining=count, unit=unit)
        self.nak_rules.append(rule)
        return rule

    def nak_setting(
        self, setting: Setting, count: int | None = None, *, unit: int | None = None
    ) -> NakRule:
        """Reject commands on one setting (forever when count is None)."""
        rule = NakRule(remaining=count, setting=setting, unit=unit)
        self.nak_rules.append(rule)
        return rule

    def delay(
        self,
        delay_s: float,
        count: int | None = None,
        *,
        setting: Setting | None = None,
        unit: int | None = None,
    ) -> DelayRule:
        """Apply matching accepted commands only after delay_s simulated seconds."""
        rule = DelayRule(delay_s=delay_s, remaining=count, setting=setting, unit=unit)
        self.delay_rules.append(rule)
        return rule

    def clear(self) -> None:
        """Remove every rule."""
        self.nak_rules.clear()
        self.delay_rules.clear()

    def naks(
        self, units: Sequence[int], settings: Mapping[int, InverterSettings], command: Command
    ) -> dict[int, str]:
        """Units that reject this submit, with the reason; consumes the matching rules."""
        out: dict[int, str] = {}
        for rule in self.nak_rules:
            hit = [u for u in units if u not in out and rule.matches(u, settings[u], command)]
            if not hit:
                continue
            targets = hit if rule.unit is not None else [u for u in units if u not in out]
            for u in targets:
                out[u] = rule.reason
            rule.consume()
        return out

    def nak_command(self, unit: int, settings: InverterSettings) -> str | None:
        """Why a NAK rule refuses a command on ``unit`` that sets no setting; None: accepted.

        Such a command is a stored parameter's write, a quick task, a window; the rule is used.
        """
        return self.naks([unit], {unit: settings}, Command(())).get(unit)

    def delay_for(self, units: Sequence[int], command: Command) -> dict[int, float]:
        """Delay (s) per accepted unit; consumes the matching rules."""
        out = dict.fromkeys(units, 0.0)
        for rule in self.delay_rules:
            hit = [u for u in units if rule.matches(u, command)]
            if not hit:
                continue
            for u in hit if rule.unit is not None else units:
                out[u] = max(out[u], rule.delay_s)
            rule.consume()
        return out
