"""One way to validate a parameter: a rule per parameter, one message template.

A rule (:class:`Range`, :class:`OneOf`, :data:`BOOL`, :class:`OrNone`, :class:`FieldName`)
says what a parameter accepts; :func:`check_parameter` is the one place that turns a broken
rule into "The 'threshold' parameter of dedup must be a float in [0.0, 1.0]. Got 1.5
instead." A config section (:class:`Validated`) declares a rule for each field. Only the
standard library is imported: ``reuse.config`` is loaded by ``import reuse``'s first use.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from ..errors import ConfigError


@dataclass(frozen=True)
class Range:
    """An int (``kind=int``) or a number (``kind=float``; an int passes) in ``[low, high]``;
    ``low_open`` makes it ``(low, high]``; ``high=None`` has no upper bound."""

    kind: type
    low: float
    high: float | None = None
    low_open: bool = False

    def accepts(self, value: Any) -> bool:
        if isinstance(value, bool):
            return False
        if self.kind is int and not isinstance(value, int):
            return False
        if self.kind is float and not isinstance(value, int | float):
            return False
        if isinstance(value, float) and math.isnan(value):
            return False
        above = value > self.low if self.low_open else value >= self.low
        return above and (self.high is None or value <= self.high)

    @property
    def description(self) -> str:
        kind = "an int" if self.kind is int else "a float"
        if self.high is None:
            return f"{kind} {'>' if self.low_open else '>='} {self.low}"
        return f"{kind} in {'(' if self.low_open else '['}{self.low}, {self.high}]"


@dataclass(frozen=True)
class OneOf:
    """One of ``choices`` (compared with ``==``)."""

    choices: tuple[Any, ...]

    def accepts(self, value: Any) -> bool:
        return any(value == c and type(value) is type(c) for c in self.choices)

    @property
    def description(self) -> str:
        return "one of " + ", ".join(repr(c) for c in self.choices)


@dataclass(frozen=True)
class IsBool:
    """True or False (not 0/1, not "yes")."""

    def accepts(self, value: Any) -> bool:
        return isinstance(value, bool)

    description: ClassVar[str] = "a bool"


@dataclass(frozen=True)
class OrNone:
    """``rule``, or None, which stands for what ``none_means`` says (a default the user gets
    by not setting the parameter, so errors state ``rule`` alone)."""

    rule: Range | OneOf | IsBool
    none_means: str

    def accepts(self, value: Any) -> bool:
        return value is None or self.rule.accepts(value)

    @property
    def description(self) -> str:
        return self.rule.description


@dataclass(frozen=True)
class FieldName:
    """A metadata field name (a non-empty string), or None."""

    def accepts(self, value: Any) -> bool:
        return value is None or (isinstance(value, str) and bool(value))

    description: ClassVar[str] = "a metadata field name (a non-empty string) or None"


Rule = Range | OneOf | IsBool | OrNone | FieldName
BOOL = IsBool()
FRACTION = Range(float, 0.0, 1.0)
COUNT = Range(int, 0, 10**9)
POSITIVE = Range(int, 1, 10**9)
SEED = Range(int, 0, 2**32 - 1)


def check_parameter(name: str, value: Any, rule: Rule, owner: str) -> None:
    """A ConfigError unless ``rule`` accepts ``value``. ``name`` and ``owner`` are the parameter
    and the function as the user wrote them ("The 'threshold' parameter of dedup ...")."""
    if not rule.accepts(value):
        raise ConfigError(
            f"The '{name}' parameter of {owner} must be {rule.description}. "
            f"Got {value!r} instead."
        )


def check_range(name: str, value: Any, kind: type, low: float, high: float, owner: str) -> None:
    """:func:`check_parameter` with a :class:`Range` ``[low, high]``."""
    check_parameter(name, value, Range(kind, low, high), owner)


def check_choice(name: str, value: Any, choices: tuple[str, ...], owner: str) -> None:
    """:func:`check_parameter` with :class:`OneOf` ``choices``."""
    check_parameter(name, value, OneOf(choices), owner)


def check_bool(name: str, value: Any, owner: str) -> None:
    """:func:`check_parameter` with :data:`BOOL`."""
    check_parameter(name, value, BOOL, owner)


class Validated:
    """A config section: a frozen dataclass whose fields all have a rule in ``RULES``."""

    RULES: ClassVar[dict[str, Rule]]

    def validate(self, owner: str | None = None,
                 names: Mapping[str, str] | None = None) -> Any:
        """Check every field; returns the section. ``owner``: the function the user called,
        named in errors (default: the class); ``names``: the name the user wrote for a field,
        where it differs (``run`` takes ``passage_ngram`` for ``passages.ngram``)."""
        owner = owner or type(self).__name__
        names = names or {}
        for item in dataclasses.fields(self):  # type: ignore[arg-type]
            check_parameter(names.get(item.name, item.name), getattr(self, item.name),
                            self.RULES[item.name], owner)
        return self
