"""Repairs: the drift issue's fix flow starts a grid calibration (repairs are admin-only).

Its one step shows what the action's dry run answers — the pre-flight's notes, the settings
the run will hold and change, the expected duration — and on confirmation starts the run the
way ``eg4.run_calibration`` does (``CalibrationSupervisor.async_run``). A pre-flight that
fails, when the form opens or when it is confirmed, ends the flow with its reasons and
starts nothing; so does a run already under way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import voluptuous as vol
from homeassistant.components.repairs import RepairsFlow
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResult
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.translation import async_get_translations

from .calibration import Method, RunConfig
from .const import DOMAIN
from .repair_text import duration_text, findings_text, plan_text
from .supervisor.drift_watch import DRIFT_ISSUE_PREFIX, DRIFT_TRANSLATION_KEY, ISSUE_ENTRY_ID

if TYPE_CHECKING:
    from .runtime import Eg4ConfigEntry
    from .supervisor import CalibrationSupervisor


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """The fix flow of a fixable issue (only the drift issue is one)."""
    entry_id = (data or {}).get(ISSUE_ENTRY_ID)
    if issue_id.startswith(DRIFT_ISSUE_PREFIX) and isinstance(entry_id, str):
        return DriftCalibrationFlow(entry_id)
    msg = f"No fix flow for issue {issue_id}"
    raise ValueError(msg)


class DriftCalibrationFlow(RepairsFlow):
    """Show the pre-flight and the plan of a grid calibration; start it on confirmation."""

    issue_translation_key = DRIFT_TRANSLATION_KEY  # its texts: issues.<key>.fix_flow

    def __init__(self, entry_id: str) -> None:
        """For the entry whose counters drifted."""
        super().__init__()
        self._entry_id = entry_id

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> FlowResult:
        """The flow has one step: confirm."""
        return await self.async_step_confirm()

    async def async_step_confirm(self, user_input: dict[str, Any] | None = None) -> FlowResult:
        """The pre-flight and the plan; submitted, the run starts (if the checks still pass)."""
        entry: Eg4ConfigEntry | None = self.hass.config_entries.async_get_entry(self._entry_id)
        if entry is None or entry.state is not ConfigEntryState.LOADED:
            title = self._entry_id if entry is None else entry.title
            return self.async_abort(reason="not_loaded", description_placeholders={"name": title})
        supervisor = entry.runtime_data.supervisor
        texts = await self._async_texts()
        if (run := supervisor.run) is not None and run.is_active:
            phase = run.phase.value
            label = texts.get(f"component.{DOMAIN}.entity.sensor.calibration_state.state.{phase}")
            return self.async_abort(
                reason="already_running",
                description_placeholders={"name": entry.title, "phase": label or phase},
            )
        # The dry run answers at once (nothing awaits inside it), so a real run started right
        # after it is planned on the same readings the owner's confirmation was checked on.
        try:
            preview = await _async_calibrate(supervisor, dry_run=True)
        except HomeAssistantError as err:
            return self._refused(entry, err)
        preflight = preview["preflight"]
        if not preflight["ok"]:
            return self.async_abort(
                reason="preflight_failed",
                description_placeholders={
                    "name": entry.title,
                    "checks": findings_text(texts, DOMAIN, preflight["failed_checks"]),
                },
            )
        if user_input is None:
            return self.async_show_form(
                step_id="confirm",
                data_schema=vol.Schema({}),
                description_placeholders=self._placeholders(entry, texts, preview),
            )
        try:
            started = await _async_calibrate(supervisor, dry_run=False)
        except HomeAssistantError as err:
            return self._refused(entry, err)
        return self.async_create_entry(data={"run_id": started["run_id"]})

    def _refused(self, entry: Eg4ConfigEntry, err: HomeAssistantError) -> FlowResult:
        return self.async_abort(
            reason="refused", description_placeholders={"name": entry.title, "error": str(err)}
        )

    def _placeholders(
        self, entry: Eg4ConfigEntry, texts: dict[str, str], preview: dict[str, Any]
    ) -> dict[str, str]:
        issue = ir.async_get(self.hass).async_get_issue(DOMAIN, self.issue_id)
        drift = dict(issue.translation_placeholders or {}) if issue is not None else {}
        warnings = findings_text(texts, DOMAIN, preview["preflight"]["warnings"])
        return {
            "name": entry.title,
            "spread": drift.get("spread", "?"),
            "pack": drift.get("pack", "?"),
            "warnings": f"\n\n{warnings}" if warnings else "",
            "plan": plan_text(texts, DOMAIN, preview["plan"]),
            "duration": duration_text(preview["estimate"].get("duration_s")),
        }

    async def _async_texts(self) -> dict[str, str]:
        """The sentences and labels the placeholders are built from, in the user's language."""
        language = self.hass.config.language
        texts: dict[str, str] = {}
        for category in ("exceptions", "entity"):
            texts.update(await async_get_translations(self.hass, language, category, {DOMAIN}))
        return texts


async def _async_calibrate(supervisor: CalibrationSupervisor, *, dry_run: bool) -> dict[str, Any]:
    """The action's path: a grid calibration with the default limits."""
    config = RunConfig.for_method(Method.GRID)
    return await supervisor.async_run(Method.GRID, dry_run=dry_run, config=config)
