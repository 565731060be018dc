"""Every parameter of every stage, in one :class:`Config`, validated by one rule set.

A :class:`Config` has a section per stage: ``tokenize`` (:class:`TokenizeConfig`), ``dedup``
(:class:`DedupConfig`: MinHash, LSH and verification), ``passages`` (:class:`PassageConfig`:
passage-window candidates and passage clusters), ``align``
(:class:`~reuse.align.config.AlignConfig`: the aligner) and ``bands``
(:class:`~reuse.align.config.BandConfig`: which slices of a candidate pair the corpus run
aligns), plus ``date_field``. The same names mean the same thing everywhere: in function
keywords, CLI flags, config files and the ``config`` block of ``manifest.json``.

Every field declares its rule in its section's ``RULES``, checked by
:func:`reuse.common.validation.check_parameter`, the one place that turns a broken rule into
"The 'threshold' parameter of dedup must be a float in [0.0, 1.0]. Got 1.5 instead."

Only the standard library is imported: ``reuse.Config`` is cheap to build.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from .align.config import AlignConfig, BandConfig
from .common.validation import (
    BOOL,
    COUNT,
    FRACTION,
    SEED,
    FieldName,
    OneOf,
    Range,
    Rule,
    Validated,
    check_parameter,
)
from .errors import ConfigError

__all__ = ["KEYWORDS", "SECTIONS", "AlignConfig", "BandConfig", "Config", "DedupConfig",
           "PassageConfig", "TokenizeConfig", "load_config"]

DEFAULT_DATE_FIELD = "date"


@dataclass(frozen=True)
class TokenizeConfig(Validated):
    """How raw text becomes tokens. Normalization acts on tokens, never on the text: NFKC,
    casefold and, with ``strip_diacritics``, no combining marks (é = e). Every track uses it:
    MinHash shingles, passage windows, lexical seeds and the paraphrase sentence stems."""

    strip_diacritics: bool = False

    RULES: ClassVar[dict[str, Rule]] = {"strip_diacritics": BOOL}


@dataclass(frozen=True)
class DedupConfig(Validated):
    """Document-level near-duplicate detection.

    ``threshold``: Jaccard similarity of near-duplicates. ``num_perm``: MinHash permutations.
    ``ngram``: words per shingle. ``seed``: of the hash family. ``verify``: accept on the
    MinHash ``"estimate"`` or on ``"exact"`` Jaccard. ``min_tokens``: shorter documents are not
    compared. ``false_positive_weight``/``false_negative_weight``: how the LSH bands and rows
    are chosen for ``threshold`` (they add up to 1; see :mod:`reuse.candidates.lsh`).
    ``max_bucket``: an LSH bucket of more documents (a template, an empty page) pairs each of
    them with its anchor only, not with one another (counted as ``capped_buckets``).
    """

    threshold: float = 0.8
    num_perm: int = 128
    ngram: int = 5
    seed: int = 1
    verify: str = "estimate"
    min_tokens: int = 0
    false_positive_weight: float = 0.5
    false_negative_weight: float = 0.5
    max_bucket: int = 1000

    RULES: ClassVar[dict[str, Rule]] = {
        "threshold": FRACTION, "num_perm": Range(int, 2, 4096), "ngram": Range(int, 1, 64),
        "seed": SEED, "verify": OneOf(("estimate", "exact")), "min_tokens": COUNT,
        "false_positive_weight": FRACTION, "false_negative_weight": FRACTION,
        "max_bucket": Range(int, 2, 10**7),
    }

    def validate(self, owner: str | None = None,
                 names: Mapping[str, str] | None = None) -> DedupConfig:
        super().validate(owner, names)
        names = names or {}
        if abs(self.false_positive_weight + self.false_negative_weight - 1.0) > 1e-9:
            fp = names.get("false_positive_weight", "false_positive_weight")
            fn = names.get("false_negative_weight", "false_negative_weight")
            raise ConfigError(
                f"The '{fp}' and '{fn}' parameters of {owner or 'DedupConfig'} must add up to "
                f"1. Got {self.false_positive_weight!r} + {self.false_negative_weight!r} "
                "instead."
            )
        return self

    @property
    def effective_min_tokens(self) -> int:
        """A document needs at least one full shingle to be compared."""
        return max(self.min_tokens, self.ngram)


@dataclass(frozen=True)
class PassageConfig(Validated):
    """How passage candidates are found and passages clustered.

    ``ngram``: words per shingle of a passage window; ``window``: shingles per window;
    ``min_shared``: windows two documents share to be a candidate pair; ``max_bucket``: a window
    in more documents is too common, and its documents are paired with one of them only;
    ``max_pairs_per_doc``: candidate partners kept per document; ``seed``: of the window hashes;
    ``boilerplate_docs``/``boilerplate_share``: a passage in this many unrelated documents, or
    this share of them, is boilerplate.
    """

    ngram: int = 4
    window: int = 10
    min_shared: int = 2
    max_bucket: int = 50
    max_pairs_per_doc: int = 100
    seed: int = 1
    boilerplate_docs: int = 20
    boilerplate_share: float = 0.5

    RULES: ClassVar[dict[str, Rule]] = {
        "ngram": Range(int, 1, 64), "window": Range(int, 1, 10_000),
        "min_shared": Range(int, 1, 10_000), "max_bucket": Range(int, 2, 10**7),
        "max_pairs_per_doc": Range(int, 1, 10**7), "seed": SEED,
        "boilerplate_docs": Range(int, 2, 10**9),
        "boilerplate_share": Range(float, 0, 1, low_open=True),
    }


# ------------------------------------------------------------------------------------ Config


SECTIONS: dict[str, type[Validated]] = {
    "tokenize": TokenizeConfig, "dedup": DedupConfig, "passages": PassageConfig,
    "align": AlignConfig, "bands": BandConfig,
}

# The keywords of reuse.dedup/run/align_pairs (and their --flags) and the config fields they
# set. ``seed`` seeds both the MinHash and the passage-window hashes.
KEYWORDS: dict[str, tuple[str, ...]] = {
    "threshold": ("dedup.threshold",), "num_perm": ("dedup.num_perm",),
    "ngram": ("dedup.ngram",), "seed": ("dedup.seed", "passages.seed"),
    "verify": ("dedup.verify",), "min_tokens": ("dedup.min_tokens",),
    "strip_diacritics": ("tokenize.strip_diacritics",),
    "min_length": ("align.min_length",), "paraphrase": ("align.paraphrase",),
    "ocr_tolerant": ("align.ocr_tolerant",),
    "window": ("passages.window",), "passage_ngram": ("passages.ngram",),
    "max_bucket": ("passages.max_bucket",),
    "max_pairs_per_doc": ("passages.max_pairs_per_doc",),
    "boilerplate_docs": ("passages.boilerplate_docs",),
    "boilerplate_share": ("passages.boilerplate_share",),
    "date_field": ("date_field",),
}


@dataclass(frozen=True)
class Config:
    """Every parameter of every stage; written whole into ``manifest.json``.

    Sections: ``tokenize`` (:class:`TokenizeConfig`), ``dedup`` (:class:`DedupConfig`),
    ``passages`` (:class:`PassageConfig`), ``align`` (:class:`AlignConfig`), ``bands``
    (:class:`BandConfig`). ``date_field`` is the metadata field holding each document's date
    (None: ``date``, if any document has it); dates choose representatives and likely sources.

    Pass one to :func:`reuse.dedup`, :func:`reuse.run` or :func:`reuse.align_pairs` as
    ``config=``; their other keywords override it. :meth:`replace` makes a changed copy with
    the same keys as those functions (``threshold=0.9``, ``passage_ngram=3``), a section
    (``align=AlignConfig(...)``), changes to a section (``align={"merge_gap": 10}``) or a
    dotted key (``**{"bands.margin": 50}``). :meth:`from_dict` reads the same keys, nested as
    :meth:`to_dict` writes them (a config file or a manifest's ``config`` block);
    :func:`load_config` reads a TOML or JSON file.
    """

    tokenize: TokenizeConfig = field(default_factory=TokenizeConfig)
    dedup: DedupConfig = field(default_factory=DedupConfig)
    passages: PassageConfig = field(default_factory=PassageConfig)
    align: AlignConfig = field(default_factory=AlignConfig)
    bands: BandConfig = field(default_factory=BandConfig)
    date_field: str | None = None

    def validate(self, owner: str = "Config",
                 keywords: Mapping[str, tuple[str, ...]] | None = None) -> Config:
        """Check every parameter; returns the config. ``owner``: the function the user called,
        named in errors; ``keywords``: its keywords (as :data:`KEYWORDS`): a field set by one
        is named by it, any other by its dotted path (``bands.margin``)."""
        names = {path: keyword for keyword, paths in (keywords or {}).items() for path in paths}
        for section in SECTIONS:
            value = getattr(self, section)
            if not isinstance(value, SECTIONS[section]):
                raise ConfigError(
                    f"The '{section}' parameter of {owner} must be "
                    f"{_a(SECTIONS[section].__name__)}. Got {value!r} instead.")
            value.validate(owner, {
                item.name: names.get(f"{section}.{item.name}", f"{section}.{item.name}")
                for item in dataclasses.fields(value)})
        check_parameter("date_field", self.date_field, FieldName(), owner)
        return self

    def replace(self, **changes: Any) -> Config:
        """A copy with ``changes`` (see the class doc for the keys), validated."""
        return self.with_changes(changes).validate("Config.replace", KEYWORDS)

    def with_changes(self, changes: Mapping[str, Any], where: str = "") -> Config:
        """A copy with ``changes``, not validated. An unknown key is a ConfigError naming it,
        ``where`` it was found (" in FILE") and the known keys."""
        for name, kind in SECTIONS.items():
            if not isinstance(getattr(self, name), kind):
                raise ConfigError(f"The '{name}' section of the config must be {_a(kind.__name__)}. "
                                  f"Got {getattr(self, name)!r} instead.")
        sections = {name: dataclasses.asdict(getattr(self, name)) for name in SECTIONS}
        top: dict[str, Any] = {"date_field": self.date_field}
        for key, value in changes.items():
            if key in SECTIONS and isinstance(value, SECTIONS[key]):
                sections[key] = dataclasses.asdict(value)
            elif key in SECTIONS and isinstance(value, Mapping):
                for name, item in value.items():
                    _set(sections, top, f"{key}.{name}", item, where)
            elif key in SECTIONS:
                raise ConfigError(
                    f"The '{key}' section of the config{where} must be a table of its keys "
                    f"or {_a(SECTIONS[key].__name__)}. Got {value!r} instead.")
            elif key in KEYWORDS:
                for path in KEYWORDS[key]:
                    _set(sections, top, path, value, where)
            else:
                _set(sections, top, key, value, where)
        return Config(**{name: SECTIONS[name](**sections[name]) for name in SECTIONS}, **top)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "") -> Config:
        """The default config changed by ``data`` (keys as in :meth:`replace`; nested tables as
        :meth:`to_dict` writes them), not validated."""
        if not isinstance(data, Mapping):
            raise ConfigError(f"A config{where} must be a table of keys. Got {data!r} instead.")
        return cls().with_changes(data, where)

    @property
    def dates_from(self) -> str:
        """The metadata field that dates documents."""
        return self.date_field or DEFAULT_DATE_FIELD

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _set(sections: dict[str, dict[str, Any]], top: dict[str, Any], path: str, value: Any,
         where: str) -> None:
    section, _, name = path.partition(".")
    if path in top:
        top[path] = value
        return
    if section in sections and name in sections[section]:
        sections[section][name] = value
        return
    if section in sections:
        known = list(sections[section])
        raise ConfigError(f"Unknown config key {path!r}{where}{_close(name, known, section)}. "
                          f"Keys of [{section}]: {', '.join(known)}.")
    known = [*KEYWORDS, *SECTIONS]
    raise ConfigError(
        f"Unknown config key {path!r}{where}{_close(path, known)}. Top-level keys: "
        f"{', '.join(KEYWORDS)}; and the sections {', '.join(f'[{s}]' for s in SECTIONS)}.")


def _a(name: str) -> str:
    return f"{'an' if name[0] in 'AEIOU' else 'a'} {name}"


def _close(name: str, known: list[str], section: str = "") -> str:
    import difflib

    matches = difflib.get_close_matches(name, known, n=1)
    if not matches:
        return ""
    return f" (did you mean {(section + '.' if section else '') + matches[0]!r}?)"


def load_config(path: str | Path, owner: str = "--config") -> Config:
    """The config in a TOML (``.toml``) or JSON file (any other name): keys as in
    :meth:`Config.replace`, at the top or in ``[section]`` tables. Validated, with errors that
    name the file."""
    import json

    source = Path(path)
    where = f" in {source}"
    try:
        raw = source.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{source}: cannot read the config file "
                          f"({exc.strerror or exc}).") from exc
    loads: Callable[[str], Any]
    if source.suffix.lower() == ".toml":
        import tomllib

        loads, kind, error = tomllib.loads, "TOML", tomllib.TOMLDecodeError
    else:
        loads, kind, error = json.loads, "JSON", json.JSONDecodeError
    try:
        data = loads(raw.decode("utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{source}: not a JSON config file (line {exc.lineno}, column "
                          f"{exc.colno}: {exc.msg}).") from exc
    except (UnicodeDecodeError, error) as exc:
        raise ConfigError(f"{source}: not a {kind} config file ({exc}).") from exc
    return Config.from_dict(data, where).validate(f"{owner} {source}", KEYWORDS)
