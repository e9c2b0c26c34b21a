"""Static checks of a Home Assistant custom integration repository (hassfest / HACS rules).

Usage: ``python scripts/check_integration.py [repo_root]`` (default: this repository).
Exits 1 and prints one ``ERROR [area] ...`` line per violation, 0 when everything passes.
``WARNING`` lines (unused translations, keys only partly resolvable) never fail the run.

Checked, with the standard library and PyYAML only:

* ``manifest.json``: key order (domain, name, then alphabetical), known keys, the keys a
  custom integration needs (version, documentation, issue_tracker, codeowners, iot_class,
  config_flow), valid ``iot_class`` / ``integration_type``, folder name == domain.
* ``hacs.json``: only the keys HACS accepts, ``name`` present, ``zip_release`` with ``filename``.
* ``services.yaml`` <-> ``translations/en.json`` ``services``: every action, section and field
  has a name and a description; no translation for an action or field that does not exist;
  select selectors' ``translation_key`` options exist under ``selector``; the actions the code
  registers are the ones ``services.yaml`` declares; service icons name real actions.
* Every ``translation_key`` the Python code uses (parsed with ``ast``) exists in en.json in the
  right section: ``entity.<platform>.<key>.name`` for entity descriptions (platform from the
  description class, else the module name), ``exceptions.<key>.message`` for raised errors,
  ``issues.<key>`` for ``ir.async_create_issue``, ``selector.<key>`` for selector configs.
  Keys built at run time are expanded where the code allows it (literal assignments,
  comprehension loops over constants, ``f"prefix_{err.reason}"`` with the reasons the
  exception class is raised with); anything else must at least match one key by pattern.
* Config flow: every form step and menu the flow shows is translated, every ``data`` field has
  a ``data_description``, every literal error / abort reason is translated. The same for a
  repair's fix flow (a ``RepairsFlow`` naming its issue in ``issue_translation_key``), under
  ``issues.<key>.fix_flow``; a fixable issue has no ``description`` of its own (hassfest).
* ``quality_scale.yaml`` (when present): every rule of every tier exactly once, valid
  statuses, a comment for each exemption, and no tier claimed in the manifest that is not met.
* Blueprints under ``blueprints/``: parse (with ``!input``), required keys, every input has a
  name, description and selector, ``!input`` references match the declared inputs, no
  ``device`` filter inside a ``target`` selector, the integration's own actions and fields exist.
"""

from __future__ import annotations

import ast
import functools
import itertools
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

try:
    import yaml
except ImportError:  # pragma: no cover - depends on the interpreter
    sys.exit("check_integration.py needs PyYAML: run it with the test environment's python")

IOT_CLASSES = frozenset(
    {
        "assumed_state",
        "calculated",
        "cloud_polling",
        "cloud_push",
        "local_polling",
        "local_push",
    }
)
INTEGRATION_TYPES = frozenset(
    {"device", "entity", "hardware", "helper", "hub", "service", "system", "virtual"}
)
MANIFEST_KEYS = frozenset(
    {
        "domain",
        "name",
        "after_dependencies",
        "bluetooth",
        "codeowners",
        "config_flow",
        "dependencies",
        "dhcp",
        "disabled",
        "documentation",
        "homekit",
        "import_executor",
        "integration_type",
        "iot_class",
        "issue_tracker",
        "loggers",
        "mqtt",
        "preview_features",
        "quality_scale",
        "requirements",
        "single_config_entry",
        "ssdp",
        "usb",
        "version",
        "zeroconf",
    }
)
MANIFEST_REQUIRED = (
    "version",
    "documentation",
    "issue_tracker",
    "codeowners",
    "iot_class",
    "config_flow",
)
QUALITY_SCALES = frozenset(
    {"bronze", "silver", "gold", "platinum", "custom", "no_score", "internal", "legacy"}
)
HACS_KEYS = frozenset(
    {
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
)
ENTITY_PLATFORMS = frozenset(
    {
        "air_quality",
        "alarm_control_panel",
        "binary_sensor",
        "button",
        "calendar",
        "camera",
        "climate",
        "conversation",
        "cover",
        "date",
        "datetime",
        "device_tracker",
        "event",
        "fan",
        "humidifier",
        "image",
        "lawn_mower",
        "light",
        "lock",
        "media_player",
        "notify",
        "number",
        "remote",
        "scene",
        "select",
        "sensor",
        "siren",
        "stt",
        "switch",
        "text",
        "time",
        "todo",
        "tts",
        "update",
        "vacuum",
        "valve",
        "wake_word",
        "water_heater",
        "weather",
    }
)
QUALITY_SCALE_RULES: dict[str, tuple[str, ...]] = {
    "bronze": (
        "action-setup",
        "appropriate-polling",
        "brands",
        "common-modules",
        "config-flow-test-coverage",
        "config-flow",
        "dependency-transparency",
        "docs-actions",
        "docs-triggers",
        "docs-conditions",
        "docs-high-level-description",
        "docs-installation-instructions",
        "docs-removal-instructions",
        "entity-event-setup",
        "entity-unique-id",
        "has-entity-name",
        "runtime-data",
        "test-before-configure",
        "test-before-setup",
        "unique-config-entry",
    ),
    "silver": (
        "action-exceptions",
        "config-entry-unloading",
        "docs-configuration-parameters",
        "docs-installation-parameters",
        "entity-unavailable",
        "integration-owner",
        "log-when-unavailable",
        "parallel-updates",
        "reauthentication-flow",
        "test-coverage",
    ),
    "gold": (
        "devices",
        "diagnostics",
        "discovery-update-info",
        "discovery",
        "docs-data-update",
        "docs-examples",
        "docs-known-limitations",
        "docs-supported-devices",
        "docs-supported-functions",
        "docs-troubleshooting",
        "docs-use-cases",
        "dynamic-devices",
        "entity-category",
        "entity-device-class",
        "entity-disabled-by-default",
        "entity-translations",
        "exception-translations",
        "icon-translations",
        "reconfiguration-flow",
        "repair-issues",
        "stale-devices",
    ),
    "platinum": ("async-dependency", "inject-websession", "strict-typing"),
}
BLUEPRINT_DOMAINS = frozenset({"automation", "script", "template"})
# CalVer (2025.4.0), SemVer (1.2.3, 1.2.3-beta.1), SimpleVer (12), PEP 440 (1.2.3rc1, 1.2.post1).
VERSION_RE = re.compile(
    r"^v?\d+(\.\d+){0,3}((-|\.)?(a|alpha|b|beta|rc|dev|post)[.-]?\d*)*(\+[0-9A-Za-z.-]+)?$"
)
HA_VERSION_RE = re.compile(r"^\d{4}\.\d{1,2}\.\d+$")
PLACEHOLDER_RE = re.compile(r"\{(\w+)\}")
EXCEPTION_SUFFIXES = ("Error", "Exception", "NotReady", "AuthFailed", "Failed", "Unauthorized")


@dataclass
class Report:
    """Errors and warnings, each tagged with the area it belongs to."""

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def error(self, area: str, message: str) -> None:
        """Record a violation."""
        self.errors.append(f"ERROR [{area}] {message}")

    def warn(self, area: str, message: str) -> None:
        """Record something worth a look that is not a violation."""
        self.warnings.append(f"WARNING [{area}] {message}")


# ---- small helpers ---------------------------------------------------------------------------


def _load_json(path: Path, report: Report, area: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        report.error(area, f"{path} is missing")
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        report.error(area, f"{path} is not valid JSON: {err}")
    return None


def _dig(data: Any, *keys: str) -> Any:
    """data[k1][k2]... or None when any level is missing or not a mapping."""
    for key in keys:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _snake(camel: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", camel).lower()


# ---- manifest.json and hacs.json ---------------------------------------------------------


def check_manifest(integration: Path, report: Report) -> dict[str, Any] | None:
    """Key order, known and required keys, valid values, folder name == domain."""
    manifest = _load_json(integration / "manifest.json", report, "manifest")
    if not isinstance(manifest, dict):
        if manifest is not None:
            report.error("manifest", "manifest.json must hold an object")
        return None
    _check_manifest_keys(integration, manifest, report)
    _check_manifest_links(manifest, report)
    _check_manifest_values(integration, manifest, report)
    return manifest


def _check_manifest_keys(integration: Path, manifest: dict[str, Any], report: Report) -> None:
    area = "manifest"
    keys = list(manifest)
    if keys[:2] != ["domain", "name"]:
        report.error(area, f"the first keys must be domain, name (found {keys[:2]})")
    rest = [key for key in keys if key not in ("domain", "name")]
    if rest != sorted(rest):
        report.error(
            area,
            "keys after domain and name must be in alphabetical order: expected "
            f"{sorted(rest)}, found {rest}",
        )
    for key in keys:
        if key not in MANIFEST_KEYS:
            report.error(area, f"unknown key {key!r}")
    for key in ("domain", "name", *MANIFEST_REQUIRED):
        if key not in manifest:
            report.error(area, f"required key {key!r} is missing")
    domain = manifest.get("domain")
    if domain != integration.name:
        report.error(area, f"domain {domain!r} differs from the folder name {integration.name!r}")
    for key in ("requirements", "dependencies", "after_dependencies", "loggers"):
        if key in manifest and not (
            isinstance(manifest[key], list) and all(isinstance(v, str) for v in manifest[key])
        ):
            report.error(area, f"{key} must be a list of strings")


def _check_manifest_links(manifest: dict[str, Any], report: Report) -> None:
    area = "manifest"
    documentation = manifest.get("documentation")
    if "documentation" in manifest:
        if not isinstance(documentation, str) or not documentation.startswith("https://"):
            report.error(area, f"documentation {documentation!r} must be an https:// URL")
        elif re.match(r"^https://(www\.)?home-assistant\.io/integrations", documentation):
            report.error(area, "documentation must not point at home-assistant.io/integrations")
    tracker = manifest.get("issue_tracker")
    if "issue_tracker" in manifest and (
        not isinstance(tracker, str) or not tracker.startswith("https://")
    ):
        report.error(area, f"issue_tracker {tracker!r} must be an https:// URL")
    owners = manifest.get("codeowners")
    if "codeowners" in manifest and (
        not isinstance(owners, list)
        or not owners
        or not all(isinstance(o, str) and o.startswith("@") for o in owners)
    ):
        report.error(area, f"codeowners {owners!r} must be a non-empty list of @handles")


def _check_manifest_values(integration: Path, manifest: dict[str, Any], report: Report) -> None:
    area = "manifest"
    version = manifest.get("version")
    if "version" in manifest and (not isinstance(version, str) or not VERSION_RE.match(version)):
        report.error(area, f"version {version!r} is not a valid CalVer/SemVer/PEP 440 version")
    if "iot_class" in manifest and manifest["iot_class"] not in IOT_CLASSES:
        report.error(
            area, f"iot_class {manifest['iot_class']!r} is not one of {sorted(IOT_CLASSES)}"
        )
    if manifest.get("integration_type", "hub") not in INTEGRATION_TYPES:
        report.error(
            area,
            f"integration_type {manifest['integration_type']!r} is not one of "
            f"{sorted(INTEGRATION_TYPES)}",
        )
    if manifest.get("quality_scale", "custom") not in QUALITY_SCALES:
        report.error(area, f"quality_scale {manifest['quality_scale']!r} is not valid")
    has_flow = (integration / "config_flow.py").exists()
    if "config_flow" in manifest and manifest["config_flow"] is not has_flow:
        report.error(
            area,
            f"config_flow is {manifest['config_flow']!r} but config_flow.py "
            f"{'exists' if has_flow else 'is missing'}",
        )


def check_hacs(root: Path, report: Report) -> None:
    """hacs.json: only accepted keys, a name, zip_release together with filename."""
    area = "hacs"
    hacs = _load_json(root / "hacs.json", report, area)
    if not isinstance(hacs, dict):
        if hacs is not None:
            report.error(area, "hacs.json must hold an object")
        return
    for key in hacs:
        if key not in HACS_KEYS:
            report.error(
                area, f"key {key!r} is not accepted by HACS (allowed: {sorted(HACS_KEYS)})"
            )
    if not _text(hacs.get("name")):
        report.error(area, "name is required")
    if hacs.get("zip_release") and not _text(hacs.get("filename")):
        report.error(area, "zip_release needs filename")
    floor = hacs.get("homeassistant")
    if floor is not None and not re.match(r"^\d{4}\.\d{1,2}(\.\d+)?(b\d*)?$", str(floor)):
        report.error(area, f"homeassistant {floor!r} is not a Home Assistant version")


def check_quality_scale(integration: Path, manifest: dict[str, Any], report: Report) -> None:
    """quality_scale.yaml: every rule listed once with a valid status; exempt needs a comment.

    A tier claimed in the manifest must have all its rules (and the lower tiers') done or
    exempt.
    """
    area = "quality_scale"
    path = integration / "quality_scale.yaml"
    if not path.exists():
        return
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        report.error(area, f"quality_scale.yaml does not parse: {err}")
        return
    rules = _dig(data, "rules")
    if not isinstance(rules, dict):
        report.error(area, "quality_scale.yaml needs a rules mapping")
        return
    known = {rule for tier in QUALITY_SCALE_RULES.values() for rule in tier}
    for rule in sorted(known - set(rules)):
        report.error(area, f"rule {rule} is missing")
    for rule in sorted(set(rules) - known):
        report.error(area, f"unknown rule {rule}")
    statuses: dict[str, str] = {}
    for rule, value in rules.items():
        status = value.get("status") if isinstance(value, dict) else value
        statuses[rule] = str(status)
        if status not in ("done", "todo", "exempt"):
            report.error(area, f"{rule}: status must be done, todo or exempt (found {status!r})")
        elif status == "exempt" and not _text(_dig(value, "comment")):
            report.error(area, f"{rule}: exempt needs a comment")
    claimed = manifest.get("quality_scale")
    tiers = list(QUALITY_SCALE_RULES)
    if claimed in tiers:
        for tier in tiers[: tiers.index(claimed) + 1]:
            for rule in QUALITY_SCALE_RULES[tier]:
                if statuses.get(rule) not in ("done", "exempt"):
                    report.error(area, f"manifest claims {claimed} but {rule} ({tier}) is not done")


# ---- Python source model -----------------------------------------------------------------


@dataclass
class Keys:
    """What a translation-key expression can be: exact strings and/or regex patterns."""

    exact: set[str] = field(default_factory=set)
    patterns: set[str] = field(default_factory=set)

    def __bool__(self) -> bool:
        """True when anything is known."""
        return bool(self.exact or self.patterns)


@dataclass
class Module:
    """One parsed source file of the integration."""

    path: Path
    name: str  # path relative to the integration, e.g. "calibration/machine.py"
    tree: ast.Module
    parents: dict[ast.AST, ast.AST]
    consts: dict[str, str]

    @property
    def stem(self) -> str:
        """The module's file name without .py."""
        return self.path.stem

    def ancestors(self, node: ast.AST) -> Iterator[ast.AST]:
        """Enclosing nodes, innermost first."""
        while node in self.parents:
            node = self.parents[node]
            yield node

    def function_of(self, node: ast.AST) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        """The innermost function around ``node``."""
        for parent in self.ancestors(node):
            if isinstance(parent, ast.FunctionDef | ast.AsyncFunctionDef):
                return parent
        return None

    def class_of(self, node: ast.AST) -> ast.ClassDef | None:
        """The innermost class around ``node``."""
        for parent in self.ancestors(node):
            if isinstance(parent, ast.ClassDef):
                return parent
        return None


def _call_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _params(func: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    args = func.args
    return [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]


def _string_consts(body: list[ast.stmt], prefix: str = "") -> dict[str, str]:
    consts: dict[str, str] = {}
    for stmt in body:
        targets: list[ast.expr] = []
        value: ast.expr | None = None
        if isinstance(stmt, ast.Assign):
            targets, value = stmt.targets, stmt.value
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            targets, value = [stmt.target], stmt.value
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            for target in targets:
                if isinstance(target, ast.Name):
                    consts[prefix + target.id] = value.value
        if isinstance(stmt, ast.ClassDef) and not prefix:
            consts.update(_string_consts(stmt.body, f"{stmt.name}."))
    return consts


@dataclass(frozen=True)
class _Parsed:
    tree: ast.Module
    nodes: list[ast.AST]
    parents: dict[ast.AST, ast.AST]
    consts: dict[str, str]


@functools.lru_cache(maxsize=512)
def _parse(text: str) -> _Parsed:
    """Parse and index one source text (cached: identical files are parsed once)."""
    tree = ast.parse(text)
    nodes = list(ast.walk(tree))
    parents = {child: node for node in nodes for child in ast.iter_child_nodes(node)}
    return _Parsed(tree, nodes, parents, _string_consts(tree.body))


def _loop_iterable(module: Module, expr: ast.Name) -> ast.expr | None:
    """What a comprehension or for loop around ``expr`` iterates when it binds its name."""
    for parent in module.ancestors(expr):
        generators: list[tuple[ast.expr, ast.expr]] = []
        if isinstance(parent, ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp):
            generators = [(gen.target, gen.iter) for gen in parent.generators]
        elif isinstance(parent, ast.For):
            generators = [(parent.target, parent.iter)]
        for target, iterable in generators:
            if isinstance(target, ast.Name) and target.id == expr.id:
                return iterable
    return None


class Source:
    """Every module of the integration with the constants they define."""

    def __init__(self, integration: Path, report: Report) -> None:
        """Parse every .py file of the integration."""
        self.modules: list[Module] = []
        self.consts: dict[str, str] = {}
        self.classes: dict[str, ast.ClassDef] = {}
        self._calls: list[tuple[Module, ast.Call]] = []
        self.nodes: list[tuple[Module, ast.AST]] = []
        for path in sorted(integration.rglob("*.py")):
            try:
                parsed = _parse(path.read_text(encoding="utf-8"))
            except SyntaxError as err:
                report.error("python", f"{path}: {err}")
                continue
            module = Module(
                path, str(path.relative_to(integration)), parsed.tree, parsed.parents, parsed.consts
            )
            self.modules.append(module)
            for key, value in parsed.consts.items():
                self.consts.setdefault(key, value)
            self.nodes.extend((module, node) for node in parsed.nodes)
            self._calls.extend(
                (module, node) for node in parsed.nodes if isinstance(node, ast.Call)
            )
            for node in parsed.nodes:
                if isinstance(node, ast.ClassDef):
                    self.classes.setdefault(node.name, node)

    def calls(self) -> list[tuple[Module, ast.Call]]:
        """Every call expression, with its module."""
        return self._calls

    # -- resolving expressions to strings --

    def resolve(self, module: Module, expr: ast.expr, *, depth: int = 0) -> Keys:
        """The strings (or patterns) ``expr`` can evaluate to, as far as the code shows."""
        if depth > 8:
            return Keys()
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
            return Keys({expr.value})
        if isinstance(expr, ast.IfExp):
            return _merge(
                self.resolve(module, expr.body, depth=depth + 1),
                self.resolve(module, expr.orelse, depth=depth + 1),
            )
        if isinstance(expr, ast.BoolOp):  # ``error or "unknown"``: the parts that are known
            keys = Keys()
            for value in expr.values:
                keys = _merge(keys, self.resolve(module, value, depth=depth + 1))
            return keys
        if isinstance(expr, ast.Name):
            return self._resolve_name(module, expr, depth)
        if isinstance(expr, ast.Attribute):
            if isinstance(expr.value, ast.Name):
                dotted = f"{expr.value.id}.{expr.attr}"
                if dotted in self.consts:
                    return Keys({self.consts[dotted]})
            if expr.attr == "value" and isinstance(expr.value, ast.Attribute | ast.Name):
                return self.resolve(module, expr.value, depth=depth + 1)
            return Keys()
        if isinstance(expr, ast.JoinedStr):
            return self._resolve_fstring(module, expr, depth)
        return Keys()

    def _resolve_name(self, module: Module, expr: ast.Name, depth: int) -> Keys:
        name = expr.id
        loop = _loop_iterable(module, expr)
        if loop is not None:
            return self._resolve_items(module, loop, depth)
        func = module.function_of(expr)
        if func is not None:
            assigned = [
                node.value
                for node in ast.walk(func)
                if isinstance(node, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
            ]
            if assigned:
                return self._resolve_all(module, assigned, depth)
            if name in _params(func):
                return Keys()
        if name in module.consts:
            return Keys({module.consts[name]})
        if name in self.consts:
            return Keys({self.consts[name]})
        if name.startswith("CONF_"):  # Home Assistant's CONF_X constants are "x"
            return Keys({name.removeprefix("CONF_").lower()})
        return Keys()

    def _resolve_all(self, module: Module, values: list[ast.expr], depth: int) -> Keys:
        """The union of every value, or nothing if any of them is unknown."""
        keys = Keys()
        for value in values:
            resolved = self.resolve(module, value, depth=depth + 1)
            if not resolved:
                return Keys()
            keys = _merge(keys, resolved)
        return keys

    def _resolve_items(self, module: Module, iterable: ast.expr, depth: int) -> Keys:
        if isinstance(iterable, ast.Tuple | ast.List | ast.Set):
            return self._resolve_all(module, iterable.elts, depth)
        if isinstance(iterable, ast.Name) and iterable.id in self.classes:  # iterating an enum
            prefix = f"{iterable.id}."
            return Keys({v for k, v in self.consts.items() if k.startswith(prefix)})
        return Keys()

    def _resolve_fstring(self, module: Module, expr: ast.JoinedStr, depth: int) -> Keys:
        parts: list[Keys] = []
        for value in expr.values:
            if isinstance(value, ast.Constant):
                parts.append(Keys({str(value.value)}))
            elif isinstance(value, ast.FormattedValue):
                resolved = self.resolve(module, value.value, depth=depth + 1)
                if not resolved:
                    resolved = self._exception_reasons(module, value.value)
                parts.append(resolved if resolved.exact else Keys(patterns={".+"}))
        if all(not part.patterns for part in parts):
            return Keys({"".join(combo) for combo in itertools.product(*(p.exact for p in parts))})
        pattern = "".join(
            re.escape(next(iter(p.exact))) if not p.patterns and len(p.exact) == 1 else ".+"
            for p in parts
        )
        return Keys(patterns={f"^{pattern}$"})

    def _exception_reasons(self, module: Module, expr: ast.expr) -> Keys:
        """``err.reason`` in ``except Cls as err``: the reasons ``Cls`` is raised with."""
        if not (
            isinstance(expr, ast.Attribute)
            and expr.attr == "reason"
            and isinstance(expr.value, ast.Name)
        ):
            return Keys()
        handler = next(
            (
                parent
                for parent in module.ancestors(expr)
                if isinstance(parent, ast.ExceptHandler) and parent.name == expr.value.id
            ),
            None,
        )
        if handler is None or handler.type is None:
            return Keys()
        types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
        names = {t.id if isinstance(t, ast.Name) else getattr(t, "attr", "") for t in types}
        reasons: set[str] = set()
        for other, call in self.calls():
            if _call_name(call) not in names:
                continue
            arg: ast.expr | None = call.args[0] if call.args else None
            for keyword in call.keywords:
                if keyword.arg == "reason":
                    arg = keyword.value
            if arg is None:
                continue
            resolved = self.resolve(other, arg)
            if not resolved.exact or resolved.patterns:
                return Keys()  # some reason is not a literal: fall back to a pattern
            reasons |= resolved.exact
        return Keys(reasons)

    # -- entity descriptions --

    def description_platform(self, class_name: str, module: Module) -> str | None:
        """The entity platform an entity description class belongs to."""
        seen: set[str] = set()
        while class_name in self.classes and class_name not in seen:
            seen.add(class_name)
            bases = [
                b.id if isinstance(b, ast.Name) else getattr(b, "attr", "")
                for b in self.classes[class_name].bases
            ]
            described = [b for b in bases if b.endswith("EntityDescription")]
            if not described:
                break
            class_name = described[0]
        stem = class_name.removesuffix("EntityDescription")
        if stem and _snake(stem) in ENTITY_PLATFORMS:
            return _snake(stem)
        return module.stem if module.stem in ENTITY_PLATFORMS else None

    @staticmethod
    def is_description(name: str) -> bool:
        """Whether ``name`` is an entity description class (Home Assistant's or ours)."""
        return name.endswith("EntityDescription")


def _merge(first: Keys, second: Keys) -> Keys:
    return Keys(first.exact | second.exact, first.patterns | second.patterns)


# ---- translation keys in the code ----------------------------------------------------------


@dataclass
class Use:
    """One use of a translation key in the code."""

    section: tuple[str, ...]  # ("entity", "sensor"), ("exceptions",), ("issues",), ("selector",)
    keys: Keys
    where: str
    placeholders: set[str] | None = None  # literal placeholder names passed, when all known
    fixable: bool = False


@dataclass
class Helper:
    """A function that builds an entity description with a parameter as translation key."""

    param: str
    index: int
    platform: str | None


def _helpers(source: Source) -> dict[str, Helper]:
    """Functions that build an entity description with a parameter as its translation key."""
    helpers: dict[str, Helper] = {}
    for module, func in source.nodes:
        if isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            helper = _helper_of(source, module, func)
            if helper is not None:
                helpers[func.name] = helper
    return helpers


def _helper_of(
    source: Source, module: Module, func: ast.FunctionDef | ast.AsyncFunctionDef
) -> Helper | None:
    params = _params(func)
    param = None
    platform = None
    for node in ast.walk(func):
        pairs: list[tuple[ast.expr | None, ast.expr]] = []
        if isinstance(node, ast.Call):
            name = _call_name(node)
            if source.is_description(name):
                platform = source.description_platform(name, module)
            pairs = [(ast.Constant(k.arg), k.value) for k in node.keywords if k.arg]
        elif isinstance(node, ast.Dict):  # fields = {"translation_key": key, ...}
            pairs = list(zip(node.keys, node.values, strict=True))
        for key, value in pairs:
            if (
                isinstance(key, ast.Constant)
                and key.value == "translation_key"
                and isinstance(value, ast.Name)
                and value.id in params
            ):
                param = value.id
    if param is None or platform is None:
        return None
    return Helper(param, params.index(param), platform)


def _literal_placeholders(call: ast.Call) -> set[str] | None:
    for keyword in call.keywords:
        if keyword.arg != "translation_placeholders":
            continue
        value = keyword.value
        if not isinstance(value, ast.Dict) or any(k is None for k in value.keys):
            return None
        names = {
            k.value for k in value.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)
        }
        return names if len(names) == len(value.keys) else None
    return set()


def _key_expr(
    call: ast.Call, keywords: dict[str, ast.expr], helpers: dict[str, Helper]
) -> ast.expr | None:
    """The expression a call passes as translation key (directly or to a helper)."""
    value = keywords.get("translation_key")
    helper = helpers.get(_call_name(call))
    if value is None and helper is not None:
        value = keywords.get(helper.param)
        if value is None and len(call.args) > helper.index:
            value = call.args[helper.index]
    return value


def _section(
    source: Source,
    module: Module,
    call: ast.Call,
    keywords: dict[str, ast.expr],
    helpers: dict[str, Helper],
    report: Report,
) -> tuple[str, ...] | None:
    """Where in en.json the key a call passes must live (None: not checked)."""
    name = _call_name(call)
    where = f"{module.name}:{call.lineno}"
    if name in helpers:
        return ("entity", helpers[name].platform or "")
    if source.is_description(name):
        platform = source.description_platform(name, module)
        if platform is None:
            report.error("translations", f"{where}: cannot infer the platform of {name}")
            return None
        return ("entity", platform)
    if name in ("async_create_issue", "create_issue"):
        return ("issues",)
    if name.endswith("SelectorConfig"):
        return ("selector",)
    if "translation_domain" in keywords or name.endswith(EXCEPTION_SUFFIXES):
        return ("exceptions",)
    report.warn("translations", f"{where}: translation_key passed to {name}() not checked")
    return None


def collect_uses(source: Source, report: Report) -> list[Use]:
    """Every translation key the Python code passes to Home Assistant."""
    helpers = _helpers(source)
    uses: list[Use] = []
    for module, call in source.calls():
        keywords = {k.arg: k.value for k in call.keywords if k.arg}
        value = _key_expr(call, keywords, helpers)
        if value is None:
            continue
        func = module.function_of(call)
        if (
            isinstance(value, ast.Name)
            and func is not None
            and func.name in helpers
            and value.id == helpers[func.name].param
        ):
            continue  # inside a helper: checked at each call of the helper
        section = _section(source, module, call, keywords, helpers, report)
        if section is None:
            continue
        keys = source.resolve(module, value) or Keys(patterns={".+"})
        fixable = any(
            k.arg == "is_fixable" and isinstance(k.value, ast.Constant) and k.value.value is True
            for k in call.keywords
        )
        where = f"{module.name}:{call.lineno}"
        uses.append(Use(section, keys, where, _literal_placeholders(call), fixable))
    return uses


def check_code_keys(source: Source, en: dict[str, Any], report: Report) -> None:
    """Each key used in the code exists in the right section of en.json."""
    area = "translations"
    used: dict[tuple[str, ...], set[str]] = {}
    for use in collect_uses(source, report):
        table = _dig(en, *use.section)
        label = ".".join(use.section)
        if not isinstance(table, dict):
            for key in sorted(use.keys.exact) or ["<dynamic>"]:
                report.error(area, f"{use.where}: {label}.{key} is missing (no {label} section)")
            continue
        found = used.setdefault(use.section, set())
        for key in sorted(use.keys.exact):
            found.add(key)
            _check_entry(use, label, key, table.get(key), report)
        for pattern in sorted(use.keys.patterns):
            matching = [key for key in table if re.match(pattern, key)]
            found.update(matching)
            if not matching:
                report.error(area, f"{use.where}: no {label} key matches {pattern}")
            elif pattern != ".+":
                report.warn(
                    area,
                    f"{use.where}: key built at run time ({pattern}); matching keys: "
                    f"{', '.join(sorted(matching))}",
                )
    for section, keys in sorted(used.items()):
        table = _dig(en, *section)
        if section[0] == "selector" or not isinstance(table, dict):
            continue
        for key in sorted(set(table) - keys):
            report.warn(area, f"{'.'.join(section)}.{key} is not used by the code")


def _check_entry(use: Use, label: str, key: str, entry: Any, report: Report) -> None:
    path = f"{label}.{key}"
    if not isinstance(entry, dict):
        report.error("translations", f"{use.where}: {path} is missing")
        return
    problems: list[str] = []
    kind = use.section[0]
    if kind == "entity" and not _text(entry.get("name")):
        problems.append(f"{path}.name is missing")
    elif kind == "exceptions":
        problems.extend(_message_problems(use, path, entry, ("message",)))
    elif kind == "issues":
        required = ("title",) if use.fixable else ("title", "description")
        problems.extend(_message_problems(use, path, entry, required))
        if use.fixable and "description" in entry:
            # hassfest: a fixable issue's texts are its fix flow's, never a description too
            problems.append(f"{path}.description is not allowed (the issue is fixable)")
    elif kind == "selector" and not isinstance(entry.get("options"), dict):
        problems.append(f"{path}.options is missing")
    for problem in problems:
        report.error("translations", f"{use.where}: {problem}")


def _message_problems(
    use: Use, path: str, entry: dict[str, Any], required: tuple[str, ...]
) -> list[str]:
    """Missing texts, and placeholders the texts need that the code does not pass."""
    problems = [f"{path}.{key} is missing" for key in required if not _text(entry.get(key))]
    if use.placeholders is not None:
        text = " ".join(str(entry.get(key, "")) for key in ("message", "title", "description"))
        if missing := sorted(set(PLACEHOLDER_RE.findall(text)) - use.placeholders):
            problems.append(f"{path} needs placeholders {missing}")
    return problems


# ---- config flow --------------------------------------------------------------------------


def check_config_flow(source: Source, en: dict[str, Any], report: Report) -> None:
    """Form and menu steps, errors and abort reasons of the flows are translated.

    Every module is read: the flow's steps live in ``config_flow.py`` and ``flow/``, and each
    bridge definition's validation (``profiles/*_setup.py``) names its errors.
    """
    _check_data_descriptions(en, report)
    for module in source.modules:
        for node in ast.walk(module.tree):
            if isinstance(node, ast.Call):
                _check_flow_call(source, module, node, en, report)
            elif isinstance(node, ast.Assign):
                _check_error_assignment(source, module, node, en, report)
            elif isinstance(node, ast.Dict):
                _check_base_error(source, module, node, en, report)


def _check_data_descriptions(en: dict[str, Any], report: Report) -> None:
    """Every form field of en.json has a data_description, and only form fields have one."""
    for section in ("config", "options"):
        for step_id, step in (_dig(en, section, "step") or {}).items():
            data = step.get("data") or {}
            descriptions = step.get("data_description") or {}
            prefix = f"{section}.step.{step_id}.data_description"
            for key in data:
                if not _text(descriptions.get(key)):
                    report.error("config_flow", f"{prefix}.{key} is missing")
            for key in descriptions:
                if key not in data:
                    report.error("config_flow", f"{prefix}.{key} has no data.{key}")


def _check_base_error(
    source: Source, module: Module, node: ast.Dict, en: dict[str, Any], report: Report
) -> None:
    for key, value in zip(node.keys, node.values, strict=True):
        if isinstance(key, ast.Constant) and key.value == "base":
            section = _flow_section(source, module, node)
            for reason in source.resolve(module, value).exact:
                _need(en, (*section, "error", reason), module, node, report)


def _base_names(cls: ast.ClassDef) -> list[str]:
    return [b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in cls.bases]


def _flow_section(source: Source, module: Module, node: ast.AST) -> tuple[str, ...]:
    """Where a flow's texts live: ``config``, ``options``, or a repair's ``issues.<key>.fix_flow``.

    A ``RepairsFlow`` names the issue it fixes in its ``issue_translation_key`` class attribute.
    """
    cls = module.class_of(node)
    if cls is None:
        return ("config",)
    bases = _base_names(cls)
    if any(base.startswith("OptionsFlow") for base in bases):
        return ("options",)
    if "RepairsFlow" in bases:
        for stmt in cls.body:
            if (
                isinstance(stmt, ast.Assign | ast.AnnAssign)
                and stmt.value is not None
                and any(
                    isinstance(t, ast.Name) and t.id == "issue_translation_key"
                    for t in (stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target])
                )
            ):
                keys = source.resolve(module, stmt.value).exact
                if len(keys) == 1:
                    return ("issues", next(iter(keys)), "fix_flow")
        return ("issues", f"<{cls.name}.issue_translation_key>", "fix_flow")
    return ("config",)


def _need(
    en: dict[str, Any], path: tuple[str, ...], module: Module, node: ast.AST, report: Report
) -> None:
    if not _text(_dig(en, *path)):
        report.error(
            "config_flow",
            f"{module.name}:{getattr(node, 'lineno', 0)}: {'.'.join(path)} is missing",
        )


def _check_flow_call(
    source: Source, module: Module, call: ast.Call, en: dict[str, Any], report: Report
) -> None:
    name = _call_name(call)
    keywords = {k.arg: k.value for k in call.keywords if k.arg}
    section = _flow_section(source, module, call)
    label = ".".join(section)
    where = f"{module.name}:{call.lineno}"
    if name in ("async_show_form", "async_show_menu") and "step_id" in keywords:
        for step_id in source.resolve(module, keywords["step_id"]).exact:
            if not isinstance(_dig(en, *section, "step", step_id), dict):
                report.error("config_flow", f"{where}: {label}.step.{step_id} is missing")
            elif name == "async_show_menu":
                options = keywords.get("menu_options")
                items = options.elts if isinstance(options, ast.List | ast.Tuple) else []
                for item in items:
                    for option in source.resolve(module, item).exact:
                        _need(
                            en,
                            (*section, "step", step_id, "menu_options", option),
                            module,
                            call,
                            report,
                        )
    if name == "async_abort" and "reason" in keywords:
        for reason in source.resolve(module, keywords["reason"]).exact:
            _need(en, (*section, "abort", reason), module, call, report)
    if name == "_abort_if_unique_id_configured":
        _need(en, (*section, "abort", "already_configured"), module, call, report)


def _check_error_assignment(
    source: Source, module: Module, node: ast.Assign, en: dict[str, Any], report: Report
) -> None:
    for target in node.targets:
        if (
            isinstance(target, ast.Subscript)
            and isinstance(target.value, ast.Name)
            and target.value.id == "errors"
        ):
            section = _flow_section(source, module, node)
            for reason in source.resolve(module, node.value).exact:
                _need(en, (*section, "error", reason), module, node, report)


# ---- services.yaml ------------------------------------------------------------------------


def _service_fields(spec: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(fields, sections) of one action, sections' fields flattened into fields."""
    fields: dict[str, Any] = {}
    sections: dict[str, Any] = {}
    for key, value in (spec.get("fields") or {}).items():
        if isinstance(value, dict) and isinstance(value.get("fields"), dict):
            sections[key] = value
            fields.update(value["fields"])
        else:
            fields[key] = value if isinstance(value, dict) else {}
    return fields, sections


def check_services(
    integration: Path, source: Source, en: dict[str, Any], report: Report
) -> dict[str, set[str]]:
    """services.yaml against en.json, the registered actions and icons.json.

    Returns each declared action with its field names (for the blueprint checks).
    """
    path = integration / "services.yaml"
    services: dict[str, Any] = {}
    if path.exists():
        try:
            services = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as err:
            report.error("services", f"services.yaml does not parse: {err}")
            return {}
    translated = en.get("services") or {}
    declared = {
        service: _check_action(service, spec or {}, translated.get(service), en, report)
        for service, spec in services.items()
    }
    for service in translated:
        if service not in services:
            report.error("services", f"services.{service} translates an action services.yaml lacks")
    registered = _registered_services(source)
    if registered is not None:
        for service in sorted(registered - set(services)):
            report.error("services", f"the code registers {service} but services.yaml lacks it")
        for service in sorted(set(services) - registered):
            report.error(
                "services", f"services.yaml declares {service} but the code never registers it"
            )
    _check_icons(integration, set(services), en, report)
    return declared


def _check_action(
    service: str, spec: dict[str, Any], entry: Any, en: dict[str, Any], report: Report
) -> set[str]:
    """One action of services.yaml against its translation; returns its field names."""
    area = "services"
    fields, sections = _service_fields(spec)
    if "device" in (_dig(spec, "target") or {}):
        report.error(area, f"{service}: target selectors must not filter on device")
    for name, field_spec in fields.items():
        select = _dig(field_spec, "selector", "select")
        if isinstance(select, dict) and select.get("translation_key"):
            _check_select_options(select, en, f"{service}.{name}", report)
    if not isinstance(entry, dict):
        report.error(area, f"action {service} has no translation in services.{service}")
        return set(fields)
    problems = [
        f"services.{service}.{key} is missing"
        for key in ("name", "description")
        if not _text(entry.get(key))
    ]
    field_texts = entry.get("fields") or {}
    problems += [
        f"services.{service}.fields.{name}.{key} is missing"
        for name in fields
        for key in ("name", "description")
        if not _text(_dig(field_texts, name, key))
    ]
    problems += [
        f"services.{service}.fields.{name} translates no field"
        for name in field_texts
        if name not in fields
    ]
    problems += [
        f"services.{service}.sections.{name}.name is missing"
        for name in sections
        if not _text(_dig(entry, "sections", name, "name"))
    ]
    for problem in problems:
        report.error(area, problem)
    return set(fields)


def _check_icons(integration: Path, services: set[str], en: dict[str, Any], report: Report) -> None:
    """icons.json only names actions and entity translation keys that exist."""
    path = integration / "icons.json"
    if not path.exists():
        return
    icons = _load_json(path, report, "icons") or {}
    for service in icons.get("services") or {}:
        if service not in services:
            report.error("icons", f"icons.json has an icon for unknown action {service}")
    for platform, entries in (icons.get("entity") or {}).items():
        for key in entries:
            if not isinstance(_dig(en, "entity", platform, key), dict):
                report.error("icons", f"icons.json entity.{platform}.{key} has no translation")


def _check_select_options(
    select: dict[str, Any], en: dict[str, Any], where: str, report: Report
) -> None:
    key = select["translation_key"]
    options = _dig(en, "selector", key, "options")
    if not isinstance(options, dict):
        report.error("services", f"{where}: selector.{key}.options is missing in en.json")
        return
    for option in select.get("options") or []:
        value = option.get("value") if isinstance(option, dict) else option
        if not _text(options.get(str(value))):
            report.error("services", f"{where}: selector.{key}.options.{value} is missing")


def _registered_services(source: Source) -> set[str] | None:
    found: set[str] = set()
    seen = False
    for module, call in source.calls():
        name = _call_name(call)
        arg: ast.expr | None = None
        if name == "async_register" and isinstance(call.func, ast.Attribute):
            owner = call.func.value
            if isinstance(owner, ast.Attribute) and owner.attr == "services" and len(call.args) > 1:
                arg = call.args[1]
        elif name == "async_register_admin_service" and len(call.args) > 2:
            arg = call.args[2]
        elif name == "async_register_entity_service" and call.args:
            arg = call.args[0]
        if arg is None:
            continue
        seen = True
        resolved = source.resolve(module, arg)
        if not resolved.exact:
            return None  # a name we cannot read: skip the comparison rather than guess
        found |= resolved.exact
    return found if seen else None


# ---- blueprints ---------------------------------------------------------------------------


@dataclass(frozen=True)
class InputRef:
    """A ``!input name`` tag."""

    name: str


class _BlueprintLoader(yaml.SafeLoader):
    """SafeLoader that understands ``!input``."""


def _input_constructor(loader: yaml.SafeLoader, node: yaml.Node) -> InputRef:
    return InputRef(str(loader.construct_scalar(node)))


_BlueprintLoader.add_constructor("!input", _input_constructor)


def _walk(data: Any) -> Iterator[Any]:
    yield data
    if isinstance(data, dict):
        for value in data.values():
            yield from _walk(value)
    elif isinstance(data, list):
        for value in data:
            yield from _walk(value)


def _declared_inputs(inputs: dict[str, Any], path: str, report: Report) -> dict[str, Any]:
    declared: dict[str, Any] = {}
    for name, spec in inputs.items():
        if isinstance(spec, dict) and isinstance(spec.get("input"), dict):  # a section
            declared.update(_declared_inputs(spec["input"], path, report))
            continue
        declared[name] = spec
        if not isinstance(spec, dict):
            report.error("blueprints", f"{path}: input {name} must be a mapping")
            continue
        for key in ("name", "description", "selector"):
            if key not in spec:
                report.error("blueprints", f"{path}: input {name} has no {key}")
        selector = spec.get("selector")
        if isinstance(selector, dict) and "device" in (_dig(selector, "target") or {}):
            report.error("blueprints", f"{path}: input {name}: no device filter in a target")
    return declared


def check_blueprints(
    root: Path, domain: str, services: dict[str, set[str]], source: Source | None, report: Report
) -> int:
    """Every blueprint file parses and is complete; returns how many were checked."""
    area = "blueprints"
    files = sorted((root / "blueprints").rglob("*.yaml")) if (root / "blueprints").exists() else []
    for file in files:
        path = str(file.relative_to(root))
        try:
            data = yaml.load(file.read_text(encoding="utf-8"), Loader=_BlueprintLoader)  # noqa: S506
        except yaml.YAMLError as err:
            report.error(area, f"{path} does not parse: {err}")
            continue
        meta = _dig(data, "blueprint")
        if not isinstance(meta, dict):
            report.error(area, f"{path}: the blueprint key is missing")
            continue
        if not _text(meta.get("name")):
            report.error(area, f"{path}: blueprint.name is missing")
        if meta.get("domain") not in BLUEPRINT_DOMAINS:
            report.error(
                area, f"{path}: blueprint.domain must be one of {sorted(BLUEPRINT_DOMAINS)}"
            )
        elif file.parent.parent.name != meta["domain"]:
            report.error(
                area, f"{path}: lives under {file.parent.parent.name}/, not {meta['domain']}/"
            )
        min_version = _dig(meta, "homeassistant", "min_version")
        if min_version is not None and not HA_VERSION_RE.match(str(min_version)):
            report.error(area, f"{path}: min_version {min_version!r} is not YYYY.M.P")
        declared = _declared_inputs(meta.get("input") or {}, path, report)
        body = {key: value for key, value in data.items() if key != "blueprint"}
        refs = {node.name for node in _walk(body) if isinstance(node, InputRef)}
        for name in sorted(refs - set(declared)):
            report.error(area, f"{path}: !input {name} is not declared")
        for name in sorted(set(declared) - refs):
            report.error(area, f"{path}: input {name} is never used")
        if meta.get("domain") == "automation":
            if not any(key in body for key in ("triggers", "trigger")):
                report.error(area, f"{path}: an automation blueprint needs triggers")
            if not any(key in body for key in ("actions", "action")):
                report.error(area, f"{path}: an automation blueprint needs actions")
        _check_blueprint_actions(path, body, domain, services, source, report)
    return len(files)


def _check_blueprint_actions(
    path: str,
    body: dict[str, Any],
    domain: str,
    services: dict[str, set[str]],
    source: Source | None,
    report: Report,
) -> None:
    for node in _walk(body):
        if not isinstance(node, dict):
            continue
        action = node.get("action", node.get("service"))
        if isinstance(action, str) and action.startswith(f"{domain}."):
            service = action.removeprefix(f"{domain}.")
            if service not in services:
                report.error("blueprints", f"{path}: {action} is not an action of {domain}")
            elif isinstance(node.get("data"), dict):
                for key in sorted(set(node["data"]) - services[service]):
                    report.error("blueprints", f"{path}: {action} has no field {key}")
        event = node.get("event_type")
        if (
            isinstance(event, str)
            and event.startswith(f"{domain}_")
            and source is not None
            and event not in source.consts.values()
        ):
            report.error("blueprints", f"{path}: the integration never fires {event}")


# ---- entry point ----------------------------------------------------------------------------


def check(root: Path) -> Report:
    """Run every check on the repository at ``root``."""
    report = Report()
    manifests = sorted((root / "custom_components").glob("*/manifest.json"))
    if len(manifests) != 1:
        report.error(
            "layout",
            f"expected one custom_components/<domain>/manifest.json, found {len(manifests)}",
        )
        return report
    integration = manifests[0].parent
    manifest = check_manifest(integration, report) or {}
    check_hacs(root, report)
    check_quality_scale(integration, manifest, report)
    en = _load_json(integration / "translations" / "en.json", report, "translations")
    if not isinstance(en, dict):
        return report
    source = Source(integration, report)
    check_code_keys(source, en, report)
    if manifest.get("config_flow"):
        check_config_flow(source, en, report)
    services = check_services(integration, source, en, report)
    check_blueprints(root, str(manifest.get("domain", integration.name)), services, source, report)
    return report


def main(argv: list[str]) -> int:
    """Check the repository given on the command line (default: this one)."""
    root = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parents[1]
    report = check(root.resolve())
    for line in (*report.warnings, *report.errors):
        print(line)
    if report.errors:
        print(f"FAILED: {len(report.errors)} error(s), {len(report.warnings)} warning(s)")
        return 1
    print(f"OK: {root} passes ({len(report.warnings)} warning(s))")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
