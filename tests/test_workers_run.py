"""`reuse run`, `reuse align` and `reuse report` in worker processes: the same run folder,
byte for byte, for any number of workers; a worker's error is the error one process raises."""

from __future__ import annotations

import dataclasses
import json
import random
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import reuse
import reuse.engine
import reuse.pipeline
import reuse.report.html
from reuse.align.config import AlignConfig
from reuse.cli.commands import main
from reuse.config import TokenizeConfig
from reuse.errors import ConfigError
from reuse.evaluate import evaluate_pan
from reuse.ingest import read_corpus
from reuse.pipeline import align_documents, documents, near_duplicates, sketching, write_run
from reuse.report.html import render_report
from reuse.runfolder.tables import read_table


def _words(rng: random.Random, n: int) -> list[str]:
    return [f"w{int(rng.paretovariate(1.1)) % 3000}" for _ in range(n)]


def _sentences(rng: random.Random, n: int) -> list[list[str]]:
    return [_words(rng, rng.randint(8, 16)) for _ in range(n)]


def _paraphrased(rng: random.Random, sentence: list[str]) -> list[str]:
    """The sentence with a third of its words replaced and two words swapped."""
    out = [word if rng.random() > 0.33 else f"p{rng.randint(0, 9999)}" for word in sentence]
    i, j = rng.sample(range(len(out)), 2)
    out[i], out[j] = out[j], out[i]
    return out


def _text(sentences: list[list[str]]) -> str:
    return " ".join(" ".join(s).capitalize() + "." for s in sentences)


def planted_corpus(path: Path, n_docs: int = 40, seed: int = 3) -> Path:
    """Documents of sentences of made-up words; passages copied with a few edits from one
    document into another, and passages paraphrased sentence by sentence."""
    rng = random.Random(seed)
    docs = [_sentences(rng, rng.randint(40, 80)) for _ in range(n_docs)]
    for k in range(0, n_docs - 1, 2):
        source, target = docs[k], docs[k + 1]
        start = rng.randint(0, len(source) - 12)
        passage = source[start:start + rng.randint(6, 12)]
        if k % 4 == 0:  # a copy with a few edited words
            copied = [[w if rng.random() > 0.03 else "edit" for w in s] for s in passage]
        else:
            copied = [_paraphrased(rng, s) for s in passage]
        at = rng.randint(0, len(target))
        docs[k + 1] = target[:at] + copied + target[at:]
    with open(path, "w", encoding="utf-8") as handle:
        for i, sentences in enumerate(docs):
            handle.write(json.dumps({"id": f"doc{i:03d}", "text": _text(sentences)}) + "\n")
    return path


def folder_bytes(folder: Path) -> dict[str, bytes]:
    """Every file of a run folder, the manifest without its timings (seconds differ)."""
    files = {}
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        name = str(path.relative_to(folder))
        data = path.read_bytes()
        if name == "manifest.json":
            manifest = json.loads(data)
            manifest.pop("timings")
            for key in ("seconds", "timings"):
                manifest["report"].pop(key, None)
            data = json.dumps(manifest, sort_keys=True).encode()
        files[name] = data
    return files


@pytest.fixture
def worker_counts(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of workers of every map stage run; stages split into small tasks, so that
    a small corpus gives each of two workers some."""
    seen: list[int] = []
    ordered_map = reuse.engine.ordered_map

    def recording(function, tasks, workers, *args, **kwargs):
        seen.append(workers)
        return ordered_map(function, tasks, workers, *args, **kwargs)

    monkeypatch.setattr(reuse.engine, "ordered_map", recording)
    for stage in (sketching, near_duplicates, documents):
        monkeypatch.setattr(stage, "ordered_map", recording)
    monkeypatch.setattr(reuse.report.html, "ordered_map", recording)
    monkeypatch.setattr(documents, "_ALIGN_BATCH_TOKENS", 300)
    monkeypatch.setattr(documents, "_TOKENS_PER_WORKER", 300)
    monkeypatch.setattr(reuse.report.html, "_PASSAGE_PAGES_PER_TASK", 1)
    monkeypatch.setattr(reuse.report.html, "_PASSAGE_PAGES_PER_WORKER", 1)
    monkeypatch.setattr(reuse.report.html, "_PAIR_PAGE_CHARS_PER_WORKER", 100)
    return seen


def _run_folder(source: Path, out: Path, workers: int, **options) -> dict[str, bytes]:
    result = reuse.run(source, workers=workers, **options)
    folder = write_run(result, out, command="run")
    render_report(folder, workers=workers)
    return folder_bytes(folder)


def test_seeds_run_folder_is_byte_identical_for_one_and_two_workers(
        seeds_dir: Path, tmp_path: Path, worker_counts: list[int]) -> None:
    one = _run_folder(seeds_dir, tmp_path / "one", 1)
    assert set(worker_counts) == {1}
    two = _run_folder(seeds_dir, tmp_path / "two", 2)
    # alignment, pair pages and passage pages each ran in two processes
    assert worker_counts.count(2) >= 3
    assert len(one["alignments.parquet"]) > 0 and any(n.startswith("html/pairs/") for n in one)
    assert one.keys() == two.keys()
    assert [name for name in one if one[name] != two[name]] == []


def test_planted_paraphrase_run_folder_is_byte_identical_for_one_and_two_workers(
        tmp_path: Path, worker_counts: list[int]) -> None:
    source = planted_corpus(tmp_path / "planted.jsonl")
    one = _run_folder(source, tmp_path / "one", 1, paraphrase=True)
    two = _run_folder(source, tmp_path / "two", 2, paraphrase=True)
    assert worker_counts.count(2) >= 3
    alignments = read_table(tmp_path / "one", "alignments")
    assert {"lexical", "paraphrase"} <= set(alignments["method"])
    assert one.keys() == two.keys()
    assert [name for name in one if one[name] != two[name]] == []


def test_a_token_cache_smaller_than_a_batch_gives_the_same_tables(
        tmp_path: Path, worker_counts: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    """The aligner keeps tokenized documents for the next boxes up to a budget, dropping the
    oldest batches first; with a budget of one token, documents are tokenized again for
    almost every batch of boxes, and the tables are still the same."""
    source = planted_corpus(tmp_path / "planted.jsonl")
    calls: list[int] = []
    tokenize_joined = documents.tokenize_joined

    def counted(joined, lengths, strip_diacritics=False):
        calls.append(len(lengths))
        return tokenize_joined(joined, lengths, strip_diacritics)

    monkeypatch.setattr(documents, "tokenize_joined", counted)
    kept = _run_folder(source, tmp_path / "kept", 1)
    tokenized_once = sum(calls)
    calls.clear()
    monkeypatch.setattr(documents, "_CACHED_TOKENS", 1)
    dropped = _run_folder(source, tmp_path / "dropped", 1)
    assert sum(calls) > tokenized_once
    assert kept.keys() == dropped.keys()
    assert [name for name in kept if kept[name] != dropped[name]] == []


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(requests=st.lists(st.lists(st.integers(0, 59), min_size=1, max_size=25), min_size=1,
                         max_size=8),
       budget=st.sampled_from([1, 40, 400, 10_000]))
def test_the_token_cache_holds_at_most_twice_the_tokens_it_keeps(requests, budget, monkeypatch):
    """Whatever documents are asked for, in batches that share some: the tokens given are the
    documents' own, and the cache holds no more than its budget or twice the tokens of the
    documents it keeps (a batch kept for a few of its documents is copied out and freed)."""
    from reuse.text.tokenize import tokenize

    texts = {d: " ".join(f"w{(d * 7 + k) % 13}" for k in range(1 + d % 17)) for d in range(60)}
    chunk = documents._ChunkTexts({d: len(t) for d, t in texts.items()}, given=texts)
    monkeypatch.setattr(documents, "_CACHED_TOKENS", budget)
    cache = documents._DocumentTokens(strip_diacritics=False)
    for docs in requests:
        given = cache.get(docs, chunk)
        assert sorted(given) == sorted(set(docs))
        for d, tokens in given.items():
            assert tokens.hashes.tolist() == tokenize(texts[d]).hashes.tolist()
            assert tokens.ends.tolist() == tokenize(texts[d]).ends.tolist()
        kept = sum(len(tokens) for tokens, _ in cache.kept.values())
        assert cache.size == sum(tokens for _, tokens, _ in cache.batches.values())
        assert cache.size <= max(budget, 2 * kept)


def test_align_pairs_tables_are_the_same_for_one_and_two_workers(
        tmp_path: Path, worker_counts: list[int]) -> None:
    source = planted_corpus(tmp_path / "planted.jsonl", n_docs=12)
    pairs = tmp_path / "pairs.txt"
    pairs.write_text("".join(f"doc{k:03d} doc{k + 1:03d}\n" for k in range(0, 12, 2)))
    one = reuse.align_pairs(source, pairs, workers=1)
    two = reuse.align_pairs(source, pairs, workers=2)
    assert 2 in worker_counts
    assert len(one.alignments) >= 6
    for name in ("alignments", "passages", "documents"):
        assert getattr(one, name).equals(getattr(two, name)), name


def test_the_cli_takes_workers_and_the_manifest_does_not_record_them(tmp_path: Path,
                                                                     seeds_dir: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "run"
    done = runner.invoke(main, ["run", str(seeds_dir), "--out", str(out), "--workers", "2",
                                "-q"])
    assert done.exit_code == 0, done.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert "workers" not in manifest["options"]
    done = runner.invoke(main, ["report", str(out), "--workers", "1", "-q"])
    assert done.exit_code == 0, done.output
    pairs = tmp_path / "pairs.txt"
    ids = sorted(read_corpus(seeds_dir).ids)
    pairs.write_text(f"{ids[0]} {ids[1]}\n")
    done = runner.invoke(main, ["align", str(seeds_dir), "--pairs", str(pairs), "--out",
                                str(tmp_path / "align"), "--workers", "2", "-q"])
    assert done.exit_code == 0, done.output
    done = runner.invoke(main, ["run", str(seeds_dir), "--out", str(tmp_path / "bad"),
                                "--workers", "0"])
    assert done.exit_code == 2
    assert "--workers" in done.output and "0 is not in the range x>=1" in done.output


@pytest.mark.parametrize("call", ["run", "align_pairs", "render_report"])
def test_workers_must_be_a_positive_int(call: str, seeds_dir: Path, tmp_path: Path) -> None:
    message = (rf"^The 'workers' parameter of {call} must be an int >= 1 \(or None: every "
               r"core\)\. Got 0 instead\.$")
    with pytest.raises(ConfigError, match=message):
        if call == "run":
            reuse.run(seeds_dir, workers=0)
        elif call == "align_pairs":
            reuse.align_pairs(seeds_dir, tmp_path / "no-pairs.txt", workers=0)
        else:
            render_report(tmp_path, workers=0)


@pytest.mark.parametrize("workers", [1, 2])
def test_an_error_in_a_worker_is_the_error_of_one_process(
        workers: int, seeds_dir: Path, worker_counts: list[int]) -> None:
    corpus = read_corpus(seeds_dir)
    # An AlignConfig changed after validation: the aligner (in the worker) validates it again.
    broken = dataclasses.replace(AlignConfig(paraphrase=False), min_length=0)
    pairs = [(a, b) for a in range(len(corpus)) for b in range(a + 1, len(corpus))]
    left, right = zip(*pairs, strict=True)
    with pytest.raises(ConfigError, match=r"^The 'min_length' parameter of AlignConfig must be "):
        align_documents(corpus, list(left), list(right), broken, TokenizeConfig(),
                        workers=workers)
    assert worker_counts == [workers]


def test_a_small_alignment_stays_in_one_process(seeds_dir: Path, monkeypatch) -> None:
    seen: list[tuple[str, int]] = []
    ordered_map = reuse.engine.ordered_map

    def recording(function, tasks, workers, *args, **kwargs):
        seen.append((function.__name__, workers))
        return ordered_map(function, tasks, workers, *args, **kwargs)

    monkeypatch.setattr(documents, "ordered_map", recording)
    monkeypatch.setattr(documents, "_ALIGN_BATCH_TOKENS", 300)
    reuse.run(seeds_dir, workers=2)
    # many chunks, but far fewer tokens than starting a worker is worth
    assert [workers for name, workers in seen if name == "_align_chunk"] == [1]


def test_pan_evaluation_with_jobs_scores_as_one_process(tmp_path: Path) -> None:
    from test_evaluate import _tiny_corpus

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for number in range(1, 5):
        _tiny_corpus(corpus, number=number)
    one = evaluate_pan(corpus, n_jobs=1).drop(columns="seconds")
    two = evaluate_pan(corpus, n_jobs=2).drop(columns="seconds")
    assert one.equals(two)
    assert one["recall"].iloc[0] > 0.9
