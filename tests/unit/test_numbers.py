"""What counts as a number (numbers.py): a flag never passes for a figure, nor a text."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custom_components.eg4.numbers import finite, is_number

ANYTHING = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=5),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
)


@pytest.mark.parametrize(
    ("value", "number", "as_float"),
    [
        (3, True, 3.0),
        (3.25, True, 3.25),
        (-0.0, True, -0.0),
        (True, False, None),
        (False, False, None),
        ("3.2", False, None),
        (None, False, None),
        (math.nan, True, None),
        (math.inf, True, None),
        (-math.inf, True, None),
        (10**400, True, None),  # an int no float can hold (JSON allows it)
    ],
)
def test_examples(value: object, number: bool, as_float: float | None) -> None:
    assert is_number(value) is number
    assert finite(value) == as_float


@given(ANYTHING)
def test_finite_is_a_finite_float_of_a_number_or_none(value: object) -> None:
    result = finite(value)
    if result is not None:
        assert type(result) is float
        assert math.isfinite(result)
        assert is_number(value)
        assert result == float(value)  # (a big int rounds to the nearest float)
    elif type(value) is int:
        assert abs(value) > 2**1023  # too big for any float
    elif type(value) is float:
        assert not math.isfinite(value)


@given(ANYTHING)
def test_is_number_is_an_int_or_a_float_but_never_a_bool(value: object) -> None:
    assert is_number(value) is (type(value) in (int, float))
