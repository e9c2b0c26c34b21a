"""How Home Assistant's frontend turns a translation into text (a test-time model, pure Python).

The frontend hands every translated string to ``intl-messageformat`` (ICU MessageFormat as
formatjs parses it) and shows ``Translation error: <KIND>`` when parsing fails, or
``Translation Error: ...`` when formatting with the given placeholders fails.
This module follows the parser's rules wherever a string can fail or render differently from
how it reads:

* ``{`` opens an argument: ``{name}``, ``{name, number|date|time[, style]}`` or
  ``{name, plural|selectordinal|select, ...}`` with an ``other`` clause; a name stops at white
  space or ICU pattern-syntax characters. A ``}`` outside any argument is plain text.
* ``<`` followed by a letter opens a tag and ``</`` closes one: ``<b>x</b>`` is a tag, ``<b/>``
  is plain text, ``<prefix>`` without its ``</prefix>`` is ``UNCLOSED_TAG`` and ``<a b>`` is
  ``INVALID_TAG``; ``<`` before anything else (``< 5``, ``<5``) is plain text. A tag needs a
  function among the values to format, which the frontend never passes for integration texts.
* An apostrophe quotes only before ``{ } < >`` (and ``#`` in a plural), up to the next single
  apostrophe; ``''`` is one apostrophe. Elsewhere an apostrophe is plain text.
* ``#`` inside a plural is the number.

Number skeletons (``{n, number, ::currency/EUR}``) are accepted without checking their tokens:
the integration's translations use plain ``{name}`` placeholders only (the test says so).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

PARSE_ERROR = "Translation error: {kind}"


class MessageSyntaxError(ValueError):
    """The parser refused the message; ``kind`` is formatjs's ErrorKind name."""

    def __init__(self, kind: str, offset: int) -> None:
        """Record what failed and where."""
        super().__init__(f"{kind} at {offset}")
        self.kind = kind
        self.offset = offset


class MessageFormatError(ValueError):
    """Formatting failed (a missing value, a tag without a function)."""

    def __init__(self, code: str, text: str) -> None:
        """Record the formatjs error code and message."""
        super().__init__(text)
        self.code = code


@dataclass(frozen=True, slots=True)
class Literal:
    """Plain text."""

    text: str


@dataclass(frozen=True, slots=True)
class Argument:
    """A placeholder, with its type (``""`` for a simple ``{name}``)."""

    name: str
    kind: str = ""
    style: str | None = None


@dataclass(frozen=True, slots=True)
class Pound:
    """``#`` inside a plural: the number."""


@dataclass(frozen=True, slots=True)
class Tag:
    """``<name>children</name>``."""

    name: str
    children: list[Element]


@dataclass(frozen=True, slots=True)
class Choice:
    """``{name, plural|selectordinal|select, selector {message} ...}``."""

    name: str
    kind: str
    options: dict[str, list[Element]]
    offset: int = 0


type Element = Literal | Argument | Pound | Tag | Choice

# ICU Pattern_White_Space and White_Space, and Pattern_Syntax outside ASCII (Unicode 15).
_PATTERN_WHITE_SPACE = frozenset("\t\n\v\f\r \x85\u200e\u200f\u2028\u2029")
_WHITE_SPACE = frozenset(
    "\t\n\v\f\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000"
    + "".join(chr(c) for c in range(0x2000, 0x200B))
)
_SYNTAX_RANGES = (
    (0x21, 0x2F),
    (0x3A, 0x40),
    (0x5B, 0x5E),
    (0x60, 0x60),
    (0x7B, 0x7E),
    (0xA1, 0xA7),
    (0xA9, 0xA9),
    (0xAB, 0xAC),
    (0xAE, 0xAE),
    (0xB0, 0xB1),
    (0xB6, 0xB6),
    (0xBB, 0xBB),
    (0xBF, 0xBF),
    (0xD7, 0xD7),
    (0xF7, 0xF7),
    (0x2010, 0x2027),
    (0x2030, 0x203E),
    (0x2041, 0x2053),
    (0x2055, 0x205E),
    (0x2190, 0x245F),
    (0x2500, 0x2775),
    (0x2794, 0x2BFF),
    (0x2E00, 0x2E7F),
    (0x3001, 0x3003),
    (0x3008, 0x3020),
    (0x3030, 0x3030),
    (0xFD3E, 0xFD3F),
    (0xFE45, 0xFE46),
)
# Characters a tag name may continue with (the HTML custom-element name rule).
_TAG_NAME_RANGES = (
    (0x2D, 0x2E),
    (0x30, 0x39),
    (0x5F, 0x5F),
    (0x61, 0x7A),
    (0x41, 0x5A),
    (0xB7, 0xB7),
    (0xC0, 0xD6),
    (0xD8, 0xF6),
    (0xF8, 0x37D),
    (0x37F, 0x1FFF),
    (0x200C, 0x200D),
    (0x203F, 0x2040),
    (0x2070, 0x218F),
    (0x2C00, 0x2FEF),
    (0x3001, 0xD7FF),
    (0xF900, 0xFDCF),
    (0xFDF0, 0xFFFD),
    (0x10000, 0xEFFFF),
)
_DIGITS = re.compile(r"[0-9]+")
_QUOTABLE = frozenset("{}<>")
_CHOICE_KINDS = frozenset({"plural", "selectordinal", "select"})
_SIMPLE_KINDS = frozenset({"number", "date", "time"})


def _in(char: str, ranges: tuple[tuple[int, int], ...]) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in ranges)


def _is_alpha(char: str) -> bool:
    return "a" <= char <= "z" or "A" <= char <= "Z"


def _identifier_char(char: str) -> bool:
    return char not in _WHITE_SPACE and not _in(char, _SYNTAX_RANGES)


@dataclass
class _Parser:
    message: str
    pos: int = 0

    # ---- cursor ------------------------------------------------------------------------

    def char(self) -> str:
        return self.message[self.pos] if self.pos < len(self.message) else ""

    def peek(self) -> str:
        return self.message[self.pos + 1] if self.pos + 1 < len(self.message) else ""

    def eof(self) -> bool:
        return self.pos >= len(self.message)

    def bump_if(self, prefix: str) -> bool:
        if self.message.startswith(prefix, self.pos):
            self.pos += len(prefix)
            return True
        return False

    def skip_space(self) -> None:
        while not self.eof() and self.char() in _PATTERN_WHITE_SPACE:
            self.pos += 1

    def identifier(self) -> str:
        start = self.pos
        while not self.eof() and _identifier_char(self.char()):
            self.pos += 1
        return self.message[start : self.pos]

    def fail(self, kind: str) -> MessageSyntaxError:
        return MessageSyntaxError(kind, self.pos)

    # ---- grammar -----------------------------------------------------------------------

    def parse_message(self, nesting: int, parent: str, in_tag: bool) -> list[Element]:
        elements: list[Element] = []
        while not self.eof():
            char = self.char()
            if char == "{":
                elements.append(self.parse_argument(nesting, in_tag))
            elif char == "}" and nesting > 0:
                break
            elif char == "#" and parent in ("plural", "selectordinal"):
                self.pos += 1
                elements.append(Pound())
            elif char == "<" and self.peek() == "/":
                if in_tag:
                    break
                raise self.fail("UNMATCHED_CLOSING_TAG")
            elif char == "<" and _is_alpha(self.peek()):
                elements.append(self.parse_tag(nesting, parent))
            else:
                elements.append(self.parse_literal(nesting, parent))
        return elements

    def parse_literal(self, nesting: int, parent: str) -> Literal:
        text: list[str] = []
        while not self.eof():
            quoted = self.quoted(parent)
            if quoted is not None:
                text.append(quoted)
                continue
            char = self.char()
            if char == "<":
                if _is_alpha(self.peek()) or self.peek() == "/":
                    break
            elif (
                char == "{"
                or (char == "#" and parent in ("plural", "selectordinal"))
                or (char == "}" and nesting > 0)
            ):
                break
            text.append(char)
            self.pos += 1
        return Literal("".join(text))

    def quoted(self, parent: str) -> str | None:
        """An apostrophe escape at the cursor, as the text it stands for; else None."""
        if self.char() != "'":
            return None
        after = self.peek()
        if after == "'":
            self.pos += 2
            return "'"
        if not (after in _QUOTABLE or (after == "#" and parent in ("plural", "selectordinal"))):
            return None
        self.pos += 1
        out = [self.char()]
        self.pos += 1
        while not self.eof():
            char = self.char()
            if char == "'":
                if self.peek() == "'":
                    out.append("'")
                    self.pos += 2
                    continue
                self.pos += 1
                break
            out.append(char)
            self.pos += 1
        return "".join(out)

    def parse_tag(self, nesting: int, parent: str) -> Element:
        self.pos += 1  # <
        name = self.tag_name()
        self.skip_space()
        if self.bump_if("/>"):
            return Literal(f"<{name}/>")
        if not self.bump_if(">"):
            raise self.fail("INVALID_TAG")
        children = self.parse_message(nesting + 1, parent, in_tag=True)
        if not self.bump_if("</"):
            raise self.fail("UNCLOSED_TAG")
        if self.eof() or not _is_alpha(self.char()):
            raise self.fail("INVALID_TAG")
        if self.tag_name() != name:
            raise self.fail("UNMATCHED_CLOSING_TAG")
        self.skip_space()
        if not self.bump_if(">"):
            raise self.fail("INVALID_TAG")
        return Tag(name, children)

    def tag_name(self) -> str:
        start = self.pos
        while not self.eof() and _in(self.char(), _TAG_NAME_RANGES):
            self.pos += 1
        return self.message[start : self.pos]

    def parse_argument(self, nesting: int, in_tag: bool) -> Element:
        self.pos += 1  # {
        self.skip_space()
        if self.eof():
            raise self.fail("EXPECT_ARGUMENT_CLOSING_BRACE")
        if self.char() == "}":
            self.pos += 1
            raise self.fail("EMPTY_ARGUMENT")
        name = self.identifier()
        if not name:
            raise self.fail("MALFORMED_ARGUMENT")
        self.skip_space()
        if self.eof():
            raise self.fail("EXPECT_ARGUMENT_CLOSING_BRACE")
        if self.bump_if("}"):
            return Argument(name)
        if not self.bump_if(","):
            raise self.fail("MALFORMED_ARGUMENT")
        self.skip_space()
        if self.eof():
            raise self.fail("EXPECT_ARGUMENT_CLOSING_BRACE")
        kind = self.identifier()
        if not kind:
            raise self.fail("EXPECT_ARGUMENT_TYPE")
        if kind in _SIMPLE_KINDS:
            return self.simple_argument(name, kind)
        if kind in _CHOICE_KINDS:
            return self.choice_argument(name, kind, nesting, in_tag)
        raise self.fail("INVALID_ARGUMENT_TYPE")

    def close_argument(self) -> None:
        if not self.bump_if("}"):
            raise self.fail("EXPECT_ARGUMENT_CLOSING_BRACE")

    def simple_argument(self, name: str, kind: str) -> Argument:
        self.skip_space()
        style = None
        if self.bump_if(","):
            self.skip_space()
            style = self.style().rstrip()
            if not style:
                raise self.fail("EXPECT_ARGUMENT_STYLE")
        self.close_argument()
        if style and style.startswith("::") and kind != "number" and not style[2:].strip():
            raise self.fail("EXPECT_DATE_TIME_SKELETON")
        return Argument(name, kind, style)

    def style(self) -> str:
        start, depth = self.pos, 0
        while not self.eof():
            char = self.char()
            if char == "'":
                end = self.message.find("'", self.pos + 1)
                if end < 0:
                    raise self.fail("UNCLOSED_QUOTE_IN_ARGUMENT_STYLE")
                self.pos = end + 1
                continue
            if char == "{":
                depth += 1
            elif char == "}":
                if depth == 0:
                    break
                depth -= 1
            self.pos += 1
        return self.message[start : self.pos]

    def choice_argument(self, name: str, kind: str, nesting: int, in_tag: bool) -> Choice:
        select = kind == "select"
        self.skip_space()
        if not self.bump_if(","):
            raise self.fail("EXPECT_SELECT_ARGUMENT_OPTIONS")
        self.skip_space()
        selector = self.identifier()
        offset = 0
        if not select and selector == "offset":
            if not self.bump_if(":"):
                raise self.fail("EXPECT_PLURAL_ARGUMENT_OFFSET_VALUE")
            self.skip_space()
            offset = self.integer(
                "EXPECT_PLURAL_ARGUMENT_OFFSET_VALUE", "INVALID_PLURAL_ARGUMENT_OFFSET_VALUE"
            )
            self.skip_space()
            selector = self.identifier()
        options: dict[str, list[Element]] = {}
        while True:
            if not selector:
                start = self.pos
                if select or not self.bump_if("="):
                    break
                self.integer("EXPECT_PLURAL_ARGUMENT_SELECTOR", "INVALID_PLURAL_ARGUMENT_SELECTOR")
                selector = self.message[start : self.pos]
            if selector in options:
                kind_name = "SELECT" if select else "PLURAL"
                raise self.fail(f"DUPLICATE_{kind_name}_ARGUMENT_SELECTOR")
            self.skip_space()
            if not self.bump_if("{"):
                kind_name = "SELECT" if select else "PLURAL"
                raise self.fail(f"EXPECT_{kind_name}_ARGUMENT_SELECTOR_FRAGMENT")
            options[selector] = self.parse_message(nesting + 1, kind, in_tag)
            self.close_argument()
            self.skip_space()
            selector = self.identifier()
        if not options:
            raise self.fail(
                "EXPECT_SELECT_ARGUMENT_SELECTOR" if select else "EXPECT_PLURAL_ARGUMENT_SELECTOR"
            )
        if "other" not in options:
            raise self.fail("MISSING_OTHER_CLAUSE")
        self.close_argument()
        return Choice(name, kind, options, offset)

    def integer(self, expect: str, invalid: str) -> int:
        sign = 1
        if not self.bump_if("+") and self.bump_if("-"):
            sign = -1
        match = _DIGITS.match(self.message, self.pos)
        if match is None:
            raise self.fail(expect)
        self.pos = match.end()
        value = sign * int(match.group())
        if abs(value) > 2**53 - 1:
            raise self.fail(invalid)
        return value


def parse(message: str) -> list[Element]:
    """The message's elements, or MessageSyntaxError as the frontend's parser raises it."""
    return _Parser(message).parse_message(0, "", in_tag=False)


def arguments(elements: list[Element]) -> set[str]:
    """Every value name the message needs (arguments, choices, and tags, which need a function)."""
    names: set[str] = set()
    for element in elements:
        if isinstance(element, Argument):
            names.add(element.name)
        elif isinstance(element, Tag):
            names.add(element.name)
            names |= arguments(element.children)
        elif isinstance(element, Choice):
            names.add(element.name)
            for option in element.options.values():
                names |= arguments(option)
    return names


def tags(elements: list[Element]) -> list[str]:
    """The names of the tags in the message, nested ones included."""
    found: list[str] = []
    for element in elements:
        if isinstance(element, Tag):
            found += [element.name, *tags(element.children)]
        elif isinstance(element, Choice):
            for option in element.options.values():
                found += tags(option)
    return found


def format_message(
    message: str, elements: list[Element], values: Mapping[str, object], number: float = 0
) -> str:
    """The text, as intl-messageformat's ``format`` builds it (English plural rules)."""
    out: list[str] = []
    for element in elements:
        if isinstance(element, Literal):
            out.append(element.text)
        elif isinstance(element, Pound):
            out.append(f"{number:,g}")
        else:
            if element.name not in values:
                raise MessageFormatError(
                    "MISSING_VALUE",
                    f'The intl string context variable "{element.name}" was not provided to '
                    f'the string "{message}"',
                )
            value = values[element.name]
            if isinstance(element, Argument):
                out.append(str(value))
            elif isinstance(element, Tag):
                if not callable(value):
                    raise MessageFormatError(
                        "INVALID_VALUE", f'Value for "{element.name}" must be of type function'
                    )
                render: Callable[[str], object] = value
                out.append(str(render(format_message(message, element.children, values))))
            else:
                out.append(_choose(message, element, value, values))
    return "".join(out)


def _choose(message: str, choice: Choice, value: object, values: Mapping[str, object]) -> str:
    if choice.kind == "select":
        option = choice.options.get(str(value), choice.options["other"])
        return format_message(message, option, values)
    if not isinstance(value, int | float):
        raise MessageFormatError(
            "INVALID_VALUE", f'Value for "{choice.name}" must be of type number'
        )
    exact = choice.options.get(f"={value:g}")
    if exact is not None:
        return format_message(message, exact, values, value - choice.offset)
    shifted = value - choice.offset
    category = "one" if choice.kind == "plural" and shifted == 1 else "other"
    option = choice.options.get(category, choice.options["other"])
    return format_message(message, option, values, shifted)


def localize(message: str, values: Mapping[str, object] | None = None) -> str:
    """What the frontend shows for ``message`` with these placeholder values."""
    try:
        elements = parse(message)
    except MessageSyntaxError as err:
        return PARSE_ERROR.format(kind=err.kind)
    try:
        return format_message(message, elements, values or {})
    except MessageFormatError as err:
        return f"Translation Error: {err}"
