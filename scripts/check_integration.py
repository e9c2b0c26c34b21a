"""What hassfest would check and nothing installable here can: the rules this repo relies on.

Usage: ``python scripts/check_integration.py [repo_root]`` (default: this repository).
Exits 1 and prints one ``ERROR [area] ...`` line per violation, 0 when everything passes.
``WARNING`` lines (unused translations, keys only partly resolvable) never fail the run.

hassfest and HACS's validation cannot be installed here (hassfest lives in Home Assistant's
source tree, not its wheel; HACS runs as a GitHub action). Whatever the test suite checks
through Home Assistant itself is not repeated here: ``tests/unit/test_manifest.py`` holds the
manifest and hacs.json to their rules, ``tests/integration/test_blueprints.py`` loads every
blueprint through Home Assistant's blueprint integration and runs them,
``tests/integration/test_translations.py`` walks every config, reauth, reconfigure and options
flow and renders every string as the frontend does. What is left, and why:

* Every ``translation_key`` the Python code uses exists in en.json, in the right section
  (``entity.<platform>.<key>.name``, ``exceptions.<key>.message`` with its placeholders,
  ``issues.<key>``, ``selector.<key>``). Home Assistant falls back to the bare key in silence,
  and hassfest checks only the file's shape, not that the code's keys are in it. Found by
  ``ast`` (also for ``test_translations.py``): literals, constants, comprehension loops over
  constants, and ``err.translation_key`` with the keys that exception is raised with.
* ``services.yaml`` <-> en.json ``services`` and ``icons.json``: every action, section and
  field has a name and a description, no translation for what does not exist, select options
  translated, the actions the code registers are the ones declared. hassfest's rule: Home
  Assistant shows an untranslated action form without a word of warning.
* ``quality_scale.yaml``: every rule of every tier once, a valid status, a comment for each
  exemption, no tier claimed in the manifest that is not met. hassfest's rule, read by no
  code at run time, so nothing else would notice it going stale.
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
    from homeassistant.const import Platform
except ImportError:  # pragma: no cover - depends on the interpreter
    sys.exit("check_integration.py needs Home Assistant: run it with the test environment's python")

ENTITY_PLATFORMS = frozenset(platform.value for platform in Platform)

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
            return self._exception_reasons(module, expr)
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
        """``err.translation_key`` in ``except Cls as err``: the keys ``Cls`` is raised with."""
        if not (
            isinstance(expr, ast.Attribute)
            and expr.attr == "translation_key"
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
    manifest = _load_json(manifests[0], report, "manifest")
    check_quality_scale(integration, manifest if isinstance(manifest, dict) else {}, report)
    en = _load_json(integration / "translations" / "en.json", report, "translations")
    if not isinstance(en, dict):
        return report
    source = Source(integration, report)
    check_code_keys(source, en, report)
    check_services(integration, source, en, report)
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
