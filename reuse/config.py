"""Parameters shared by every stage, validated in one place with one message template.

The same names mean the same thing everywhere: in function keywords, CLI flags and the
``config`` block of ``manifest.json``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import ConfigError

DEFAULT_DATE_FIELD = "date"
# The keywords of reuse.run (and the --flags) for PassageConfig fields named otherwise.
PASSAGE_KEYWORDS = {"ngram": "passage_ngram"}


def check_range(name: str, value: Any, kind: type, low: float, high: float, owner: str) -> None:
    """A ConfigError unless ``value`` is a ``kind`` (int or float; an int passes as a float) in
    ``[low, high]``. ``name`` and ``owner`` are the parameter and the function as the user wrote
    them ("The 'threshold' parameter of dedup ...")."""
    ok = isinstance(value, kind) and not isinstance(value, bool) and low <= value <= high
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        ok = low <= value <= high
    if not ok:
        kind_name = "an int" if kind is int else "a float"
        raise ConfigError(
            f"The '{name}' parameter of {owner} must be {kind_name} in [{low}, {high}]. "
            f"Got {value!r} instead."
        )


def check_choice(name: str, value: Any, choices: tuple[str, ...], owner: str) -> None:
    """A ConfigError unless ``value`` is one of ``choices``."""
    if value not in choices:
        options = ", ".join(repr(c) for c in choices)
        raise ConfigError(
            f"The '{name}' parameter of {owner} must be one of {options}. Got {value!r} instead."
        )


def check_bool(name: str, value: Any, owner: str) -> None:
    """A ConfigError unless ``value`` is True or False."""
    if not isinstance(value, bool):
        raise ConfigError(
            f"The '{name}' parameter of {owner} must be a bool. Got {value!r} instead."
        )


@dataclass(frozen=True)
class TokenizeConfig:
    """How raw text becomes tokens. Normalization acts on tokens, never on the text."""

    strip_diacritics: bool = False

    def validate(self, owner: str = "TokenizeConfig") -> None:
        """``owner``: the function the user called, named in errors."""
        check_bool("strip_diacritics", self.strip_diacritics, owner)


@dataclass(frozen=True)
class DedupConfig:
    """Document-level near-duplicate detection."""

    threshold: float = 0.8
    num_perm: int = 128
    ngram: int = 5
    seed: int = 1
    verify: str = "estimate"
    min_tokens: int = 0
    false_positive_weight: float = 0.5
    false_negative_weight: float = 0.5

    def validate(self, owner: str = "DedupConfig") -> None:
        """``owner``: the function the user called, named in errors."""
        check_range("threshold", self.threshold, float, 0.0, 1.0, owner)
        check_range("num_perm", self.num_perm, int, 2, 4096, owner)
        check_range("ngram", self.ngram, int, 1, 64, owner)
        check_range("seed", self.seed, int, 0, 2**32 - 1, owner)
        check_choice("verify", self.verify, ("estimate", "exact"), owner)
        check_range("min_tokens", self.min_tokens, int, 0, 10**9, owner)
        check_range("false_positive_weight", self.false_positive_weight, float, 0.0, 1.0, owner)
        check_range("false_negative_weight", self.false_negative_weight, float, 0.0, 1.0, owner)
        if abs(self.false_positive_weight + self.false_negative_weight - 1.0) > 1e-9:
            raise ConfigError(
                "The 'false_positive_weight' and 'false_negative_weight' parameters of "
                f"{owner} must add up to 1. Got "
                f"{self.false_positive_weight!r} + {self.false_negative_weight!r} instead."
            )

    @property
    def effective_min_tokens(self) -> int:
        """A document needs at least one full shingle to be compared."""
        return max(self.min_tokens, self.ngram)


@dataclass(frozen=True)
class PassageConfig:
    """How passage candidates are found and passages clustered."""

    ngram: int = 4
    window: int = 10
    min_shared: int = 2
    max_bucket: int = 50
    max_pairs_per_doc: int = 100
    seed: int = 1
    boilerplate_docs: int = 20
    boilerplate_share: float = 0.5

    def validate(self, owner: str = "PassageConfig",
                 names: Mapping[str, str] | None = None) -> PassageConfig:
        """``owner``: the function the user called; ``names``: the keyword the user wrote for a
        field, where it differs (``run`` takes ``passage_ngram`` for ``ngram``)."""
        names = names or {}
        for name, low, high in (
            ("ngram", 1, 64), ("window", 1, 10_000), ("min_shared", 1, 10_000),
            ("max_bucket", 2, 10**7), ("max_pairs_per_doc", 1, 10**7), ("seed", 0, 2**32 - 1),
            ("boilerplate_docs", 2, 10**9),
        ):
            check_range(names.get(name, name), getattr(self, name), int, low, high, owner)
        share = self.boilerplate_share
        if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share <= 1:
            raise ConfigError(
                f"The 'boilerplate_share' parameter of {owner} must be a float in (0, 1]. "
                f"Got {share!r} instead."
            )
        return self


@dataclass(frozen=True)
class Config:
    """Everything a run needs; written verbatim into ``manifest.json``.

    ``date_field`` is the metadata field holding each document's date (None: ``date``, if any
    document has it); dates choose representatives and likely sources.
    """

    tokenize: TokenizeConfig = field(default_factory=TokenizeConfig)
    dedup: DedupConfig = field(default_factory=DedupConfig)
    passages: PassageConfig = field(default_factory=PassageConfig)
    date_field: str | None = None

    def validate(self, owner: str = "Config") -> Config:
        """``owner``: the function the user called, named in errors."""
        self.tokenize.validate(owner)
        self.dedup.validate(owner)
        self.passages.validate(owner, PASSAGE_KEYWORDS)
        if self.date_field is not None and (
                not isinstance(self.date_field, str) or not self.date_field):
            raise ConfigError(
                f"The 'date_field' parameter of {owner} must be a metadata field name (a "
                f"non-empty string) or None. Got {self.date_field!r} instead."
            )
        return self

    @property
    def dates_from(self) -> str:
        """The metadata field that dates documents."""
        return self.date_field or DEFAULT_DATE_FIELD

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)
