"""One reuse.Config for every parameter of every stage: reachable from reuse.dedup/run/
align_pairs and ``--config FILE``, overridden by keywords and command-line options, validated
by one rule set, recorded whole in the manifest and repeated by ``reuse rerun``. Issue 12,
item 6."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import subprocess
import sys

import pytest
from click.testing import CliRunner
from near_dup_corpus import make_corpus

import reuse
from reuse import AlignConfig, BandConfig, Config, DedupConfig, PassageConfig
from reuse.align.config import PAIRS_MODE
from reuse.candidates.lsh import optimal_bands
from reuse.cli.commands import main
from reuse.config import SECTIONS, load_config
from reuse.errors import ConfigError
from reuse.ingest import Corpus
from reuse.pipeline import write_run
from reuse.runfolder.tables import read_manifest


def cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def synthetic_corpus() -> Corpus:
    synthetic = make_corpus()
    return Corpus(ids=synthetic.ids, texts=synthetic.texts, metadata=[{} for _ in synthetic.ids],
                  origins=list(synthetic.ids))


def changed(value):
    """A valid value other than ``value`` (a field's default)."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return round(value * 0.9, 6)
    return {"estimate": "exact"}[value]


def every_field_changed() -> Config:
    """A Config in which every field of every section differs from its default."""
    sections = {}
    for name, kind in SECTIONS.items():
        values = {}
        for item in dataclasses.fields(kind):
            default = item.default
            values[item.name] = (not PAIRS_MODE[item.name] if isinstance(PAIRS_MODE.get(
                item.name), bool) else 12) if default is None else changed(default)
        sections[name] = values
    sections["dedup"].update(false_positive_weight=0.4, false_negative_weight=0.6)
    return Config.from_dict(sections).validate()


# ------------------------------------------------------------------------ building a Config


def test_replace_takes_keywords_sections_section_changes_and_dotted_keys():
    config = Config().replace(threshold=0.9, passage_ngram=3, align={"merge_gap": 10},
                              bands=BandConfig(margin=50), **{"dedup.false_positive_weight": 0.3,
                                                              "dedup.false_negative_weight": 0.7})
    assert config.dedup.threshold == 0.9
    assert config.passages.ngram == 3 and config.dedup.ngram == 5
    assert config.align.merge_gap == 10 and config.align.min_length == 25
    assert config.bands == BandConfig(margin=50)
    assert (config.dedup.false_positive_weight, config.dedup.false_negative_weight) == (0.3, 0.7)
    assert Config() == Config(), "replace makes a copy"


def test_the_seed_keyword_seeds_minhash_and_passage_windows():
    config = Config().replace(seed=7)
    assert (config.dedup.seed, config.passages.seed) == (7, 7)


def test_to_dict_and_from_dict_round_trip_every_field():
    config = every_field_changed()
    assert Config.from_dict(json.loads(json.dumps(config.to_dict()))) == config
    defaults = Config().to_dict()
    for section in SECTIONS:
        for name, value in config.to_dict()[section].items():
            assert value != defaults[section][name], f"{section}.{name} was not changed"


@pytest.mark.parametrize(("changes", "message"), [
    ({"treshold": 0.9},
     "Unknown config key 'treshold' (did you mean 'threshold'?). Top-level keys: threshold, "
     "num_perm, ngram, seed, verify, min_tokens, strip_diacritics, min_length, paraphrase, "
     "ocr_tolerant, window, passage_ngram, max_bucket, max_pairs_per_doc, boilerplate_docs, "
     "boilerplate_share, date_field; and the sections [tokenize], [dedup], [passages], "
     "[align], [bands]."),
    ({"align": {"merge_gapp": 3}},
     "Unknown config key 'align.merge_gapp' (did you mean 'align.merge_gap'?). Keys of [align]: "
     "ngram, min_length, max_gap, min_density, max_occurrences, extend_drop, paraphrase, "
     "sentence_cosine, sentence_dice, sentence_gap, min_paraphrase_similarity, grow_similarity, "
     "summary_similarity, summary_ratio, summary_gap, summary_whole_source, copy_reach, "
     "merge_gap, ocr_tolerant."),
    ({"bands.width": 3},
     "Unknown config key 'bands.width'. Keys of [bands]: max_gap, slack, drift, lookahead, "
     "min_seeds, margin, merge_gap."),
    ({"align": 3},
     "The 'align' section of the config must be a table of its keys or an AlignConfig. "
     "Got 3 instead."),
])
def test_unknown_keys_are_named_with_the_known_ones(changes, message):
    with pytest.raises(ConfigError) as raised:
        Config().replace(**changes)
    assert str(raised.value) == message


@pytest.mark.parametrize(("changes", "message"), [
    ({"threshold": 1.5},
     "The 'threshold' parameter of Config.replace must be a float in [0.0, 1.0]. Got 1.5 "
     "instead."),
    ({"bands.margin": -1},
     "The 'bands.margin' parameter of Config.replace must be an int in [0, 1000000000]. "
     "Got -1 instead."),
    ({"bands": {"drift": "wide"}},
     "The 'bands.drift' parameter of Config.replace must be a float in [0.0, 1000.0]. "
     "Got 'wide' instead."),
    ({"align.merge_gap": -2},
     "The 'align.merge_gap' parameter of Config.replace must be an int in [-1, 1000000000]. "
     "Got -2 instead."),
    ({"align.summary_whole_source": 1},
     "The 'align.summary_whole_source' parameter of Config.replace must be a bool. Got 1 "
     "instead."),
    ({"passages.boilerplate_share": 0},
     "The 'boilerplate_share' parameter of Config.replace must be a float in (0, 1]. Got 0 "
     "instead."),
    ({"dedup.verify": "exactly"},
     "The 'verify' parameter of Config.replace must be one of 'estimate', 'exact'. Got "
     "'exactly' instead."),
    ({"dedup.false_positive_weight": 0.3},
     "The 'dedup.false_positive_weight' and 'dedup.false_negative_weight' parameters of "
     "Config.replace must add up to 1. Got 0.3 + 0.5 instead."),
    ({"num_perm": float("nan")},
     "The 'num_perm' parameter of Config.replace must be an int in [2, 4096]. Got nan "
     "instead."),
])
def test_one_rule_set_and_one_message_template(changes, message):
    with pytest.raises(ConfigError) as raised:
        Config().replace(**changes)
    assert str(raised.value) == message


def test_a_section_validates_alone_with_the_same_rules():
    with pytest.raises(ConfigError, match=r"^The 'lookahead' parameter of BandConfig must be an "
                                          r"int in \[1, 10000\]. Got 0 instead.$"):
        BandConfig(lookahead=0).validate()
    with pytest.raises(ConfigError, match=r"^The 'max_bucket' parameter of PassageConfig must be "
                                          r"an int in \[2, 10000000\]. Got 1 instead.$"):
        PassageConfig(max_bucket=1).validate()
    with pytest.raises(ConfigError, match=r"^The 'max_bucket' parameter of DedupConfig must be "
                                          r"an int in \[2, 10000000\]. Got 1 instead.$"):
        DedupConfig(max_bucket=1).validate()


# ------------------------------------------------------------------ the functions take it


def test_keywords_override_the_config(synthetic_corpus):
    strict = Config().replace(threshold=0.95)
    from_config = reuse.dedup(synthetic_corpus, config=strict)
    overridden = reuse.dedup(synthetic_corpus, config=strict, threshold=0.5)
    default = reuse.dedup(synthetic_corpus, threshold=0.5)
    assert from_config.config.dedup.threshold == 0.95
    assert overridden.config.dedup.threshold == 0.5
    assert overridden.options["threshold"] == 0.5
    assert (overridden.near_duplicates.equals(default.near_duplicates)
            and len(overridden.near_duplicates) > len(from_config.near_duplicates))


def test_a_bad_value_in_the_config_names_the_keyword_of_the_function_called(synthetic_corpus):
    with pytest.raises(ConfigError) as raised:
        reuse.run(synthetic_corpus, config=Config(passages=PassageConfig(ngram=0)))
    assert str(raised.value) == ("The 'passage_ngram' parameter of run must be an int in "
                                 "[1, 64]. Got 0 instead.")
    with pytest.raises(ConfigError) as raised:
        reuse.dedup(synthetic_corpus, config=Config(bands=BandConfig(min_seeds=0)))
    assert str(raised.value) == ("The 'bands.min_seeds' parameter of dedup must be an int in "
                                 "[1, 1000000]. Got 0 instead.")
    with pytest.raises(ConfigError) as raised:
        reuse.dedup(synthetic_corpus, config=Config(dedup={"threshold": 0.5}))
    assert str(raised.value) == ("The 'dedup' section of the config must be a DedupConfig. "
                                 "Got {'threshold': 0.5} instead.")
    with pytest.raises(ConfigError) as raised:
        reuse.dedup(synthetic_corpus, config={"threshold": 0.5})
    assert str(raised.value) == ("The 'config' parameter of dedup must be a reuse.Config or "
                                 "None. Got {'threshold': 0.5} instead.")


def test_the_lsh_weights_are_reachable_and_change_the_candidates(synthetic_corpus):
    def candidates(false_positive_weight: float) -> int:
        config = Config(dedup=DedupConfig(
            threshold=0.5, false_positive_weight=false_positive_weight,
            false_negative_weight=1 - false_positive_weight))
        return reuse.dedup(synthetic_corpus, config=config).counts["candidate_pairs"]

    assert candidates(0.05) > candidates(0.5) > candidates(0.95)


def crowded_corpus(seeds_dir) -> list[dict[str, str]]:
    """The sample corpus and six exact copies of its first article: the copies share every LSH
    bucket."""
    records = [{"id": path.name, "text": path.read_text(encoding="utf-8")}
               for path in sorted(seeds_dir.glob("*.txt"))]
    return records + [{"id": f"copy-{k}", "text": records[0]["text"]} for k in range(6)]


@pytest.mark.parametrize("workers", [1, 2])
def test_the_lsh_bucket_cap_is_reachable(seeds_dir, workers):
    records = crowded_corpus(seeds_dir)
    whole = reuse.dedup(records, workers=workers)
    capped = reuse.dedup(records, workers=workers,
                         config=Config().replace(**{"dedup.max_bucket": 3}))
    assert capped.config.dedup.max_bucket == 3
    # The seven equal texts: all 21 pairs, or in every band one bucket of seven over the cap,
    # its anchor (the first document) paired with the six others.
    assert (whole.counts["capped_buckets"], whole.counts["near_duplicate_pairs"]) == (0, 21)
    bands, _ = optimal_bands(0.8, 128, 0.5, 0.5)
    assert capped.counts["capped_buckets"] == bands
    assert capped.counts["near_duplicate_pairs"] == 6
    assert set(capped.near_duplicates["a_id"]) == {records[0]["id"]}


@pytest.mark.parametrize(("changes", "count", "default", "value"), [
    ({"max_bucket": 2}, "capped_fingerprints", 0, 33),
    ({"passages.min_shared": 50}, "passage_candidate_pairs", 8, 0),
    ({"bands.min_seeds": 1000}, "alignments", 6, 0),
    ({"align.min_length": 200}, "alignments", 6, 1),
])
def test_passage_band_and_aligner_settings_reach_the_corpus_run(seeds_dir, changes, count,
                                                                default, value):
    assert reuse.run(seeds_dir).counts[count] == default
    assert reuse.run(seeds_dir, config=Config().replace(**changes)).counts[count] == value


def test_the_aligner_settings_reach_pairs_mode(seeds_dir, tmp_path):
    pairs = tmp_path / "pairs.txt"
    pairs.write_text("000_81ea45a633cdc37b.txt 001_1d9123d4398d72ce.txt\n", encoding="utf-8")
    default = reuse.align_pairs(seeds_dir, pairs)
    longer = reuse.align_pairs(seeds_dir, pairs, config=Config().replace(
        align={"min_length": 400}))
    assert len(default.alignments) == 1 and len(longer.alignments) == 0


def test_the_command_decides_what_the_aligner_leaves_unset(seeds_dir, tmp_path):
    pairs = tmp_path / "pairs.txt"
    pairs.write_text("000_81ea45a633cdc37b.txt 001_1d9123d4398d72ce.txt\n", encoding="utf-8")
    config = Config().replace(align={"copy_reach": 99})
    ran = reuse.run(seeds_dir, config=config)
    paired = reuse.align_pairs(seeds_dir, pairs, config=config)
    assert (ran.config.align.paraphrase, ran.config.align.merge_gap,
            ran.config.align.summary_whole_source) == (False, -1, False)
    assert (paired.config.align.paraphrase, paired.config.align.merge_gap,
            paired.config.align.summary_whole_source) == (True, 30, True)
    assert ran.config.align.copy_reach == paired.config.align.copy_reach == 99
    chosen = reuse.run(seeds_dir, config=config.replace(align={"merge_gap": 5,
                                                               "paraphrase": True}))
    assert (chosen.config.align.merge_gap, chosen.config.align.paraphrase) == (5, True)


def test_the_manifest_records_every_field_of_the_config(seeds_dir, tmp_path):
    config = every_field_changed()
    config = dataclasses.replace(config, dedup=dataclasses.replace(config.dedup, threshold=0.5))
    result = reuse.run(seeds_dir, config=config)
    assert result.config == config
    manifest = read_manifest(write_run(result, tmp_path / "run", command="run"))
    assert manifest["config"] == json.loads(json.dumps(config.to_dict()))


# -------------------------------------------------------------------------- the CLI


def test_cli_config_file_with_options_that_override_it_and_rerun(seeds_dir, tmp_path):
    toml = tmp_path / "reuse.toml"
    toml.write_text('threshold = 0.9\nmax_bucket = 2\n[dedup]\nfalse_positive_weight = 0.3\n'
                    'false_negative_weight = 0.7\n[bands]\nmargin = 60\n[align]\n'
                    'min_length = 30\n', encoding="utf-8")
    first, second = tmp_path / "first", tmp_path / "second"
    done = cli("run", seeds_dir, "--out", first, "--quiet", "--no-report", "--config", toml,
               "--threshold", "0.6")
    assert done.exit_code == 0, done.output
    manifest = read_manifest(first)
    config = manifest["config"]
    assert config["dedup"]["threshold"] == 0.6  # the option overrides the file
    assert config["dedup"]["false_positive_weight"] == 0.3
    assert config["passages"]["max_bucket"] == 2 and config["bands"]["margin"] == 60
    assert config["align"]["min_length"] == 30
    assert manifest["counts"]["capped_fingerprints"] > 0
    assert cli("rerun", first, "--out", second).exit_code == 0
    assert read_manifest(second)["config"] == config

    def digests(folder):
        return {name: hashlib.sha256((folder / name).read_bytes()).hexdigest()
                for name in read_manifest(folder)["tables"].values()}

    assert digests(second) == digests(first)


def test_cli_config_in_json_for_dedup_and_align(seeds_dir, tmp_path):
    config = tmp_path / "reuse.json"
    config.write_text(json.dumps({"dedup": {"threshold": 0.3}, "align": {"min_length": 400}}),
                      encoding="utf-8")
    assert cli("dedup", seeds_dir, "--out", tmp_path / "d", "--quiet", "--config",
               config).exit_code == 0
    assert read_manifest(tmp_path / "d")["config"]["dedup"]["threshold"] == 0.3
    pairs = tmp_path / "pairs.txt"
    pairs.write_text("000_81ea45a633cdc37b.txt 001_1d9123d4398d72ce.txt\n", encoding="utf-8")
    assert cli("align", seeds_dir, "--pairs", pairs, "--out", tmp_path / "a", "--quiet",
               "--config", config).exit_code == 0
    assert read_manifest(tmp_path / "a")["counts"]["alignments"] == 0
    assert cli("align", seeds_dir, "--pairs", pairs, "--out", tmp_path / "b", "--quiet",
               "--config", config, "--min-length", "25").exit_code == 0
    assert read_manifest(tmp_path / "b")["counts"]["alignments"] == 1


@pytest.mark.parametrize(("name", "text", "message"), [
    ("bad.toml", "[dedup]\ntreshold = 0.9\n",
     "reuse: error: Unknown config key 'dedup.treshold' in {path} (did you mean "
     "'dedup.threshold'?). Keys of [dedup]: threshold, num_perm, ngram, seed, verify, "
     "min_tokens, false_positive_weight, false_negative_weight, max_bucket.\n"),
    ("range.toml", "[bands]\nmargin = -5\n",
     "reuse: error: The 'bands.margin' parameter of --config {path} must be an int in "
     "[0, 1000000000]. Got -5 instead.\n"),
    ("list.json", "[1, 2]",
     "reuse: error: A config in {path} must be a table of keys. Got [1, 2] instead.\n"),
])
def test_cli_config_errors_are_exact_and_leave_no_run_folder(seeds_dir, tmp_path, name, text,
                                                              message):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    done = CliRunner().invoke(main, ["dedup", str(seeds_dir), "--out", str(tmp_path / "o"),
                                     "--config", str(path)])
    assert done.exit_code == 2
    assert done.stderr == message.format(path=path)
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(("name", "text", "pattern"), [
    ("broken.json", '{"threshold": 0.9,}', r"broken.json: not a JSON config file \(line 1, "
                                           r"column 19: .+\)\.$"),
    ("broken.toml", "threshold = \n", r"broken.toml: not a TOML config file \(.+line 1.+\)\.$"),
    ("latin.toml", "date_field = 'Zürich'", r"latin.toml: not a TOML config file \("),
])
def test_a_config_file_that_cannot_be_parsed_is_named(tmp_path, name, text, pattern):
    path = tmp_path / name
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(ConfigError, match=pattern):
        load_config(path)


def test_load_config_reads_a_missing_file_as_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match=r"nothing.toml: cannot read the config file "
                                          r"\(No such file or directory\)\.$"):
        load_config(tmp_path / "nothing.toml")


# ------------------------------------------------------------------------ import cost


def test_importing_reuse_and_building_a_config_loads_no_heavy_module():
    report = ("heavy = ('numpy', 'pandas', 'scipy', 'pyarrow', 'sklearn', 'datasketch', 'tqdm',\n"
              "         'click', 'rapidfuzz')\n"
              "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy),\n"
              "      sorted(m for m in sys.modules if m.startswith('reuse')))\n")
    code = ("import sys, reuse\n" + report
            + "reuse.Config().replace(threshold=0.9, align={'merge_gap': 3}).validate()\n"
            + report)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)
    assert done.stdout.splitlines() == [
        "[] ['reuse', 'reuse.errors']",
        "[] ['reuse', 'reuse.align', 'reuse.align.config', 'reuse.common', "
        "'reuse.common.validation', 'reuse.config', 'reuse.errors']"]


def test_reuse_exports_the_stages_own_config_classes():
    from reuse.align.bands import BandConfig as BandsConfig
    from reuse.align.config import AlignConfig as AlignersConfig
    from reuse.config import DedupConfig as DedupSection

    assert AlignersConfig is AlignConfig and BandsConfig is BandConfig
    assert DedupSection is DedupConfig
