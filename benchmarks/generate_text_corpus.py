"""A near-duplicate corpus that looks like prose, not like reuse's tokenizer.

``generate_corpus.py`` writes lowercase made-up words separated by single spaces, which every
tokenizer splits the same way. This generator writes text that a tokenizer has to work for, so
that a benchmark on it measures the whole tokenizer and not its fast path:

- a Zipfian vocabulary (exponent 1.1) of 60k real-looking words: about 150 English function
  words at the top ranks, then words built from syllables, some with accented letters (é, ü,
  ø, ß, ñ), hyphens or apostrophes, and a few proper nouns written with a capital;
- sentences of 4-30 words with a capitalised first word, commas, semicolons, parentheses,
  straight and curly quotes, dashes (-, --, —), and ".", "!", "?", "…" or ":" at the end;
  numbers in many forms (1987, 3.14, 12%, 4,500, #42, 2nd, 10:30); now and then a word in
  capitals;
- paragraphs of 1-6 sentences separated by one or two line breaks, sometimes a double space or
  a tab; documents of about 2.6 KB (normal, sd 500 bytes, at least 600).

20% of the documents are near-duplicates: a copy of an earlier original (or of another copy)
with edits at a rate drawn from 0%, 1%, 2%, 5%, 10%, 15%, 20%, 30%: word substitutions,
insertions and deletions, character typos (a swapped, dropped or doubled letter, a changed
case), one or two sentences moved, and the copy re-rendered with its own line breaks and
quote style. Documents are shuffled; ids are ``t0000042``.

Writes ``data/text_N.jsonl`` (``{"id", "text"}`` per line) and ``data/text_N_spec.json``;
the same parameters and seed give byte-identical files, regenerated only when they change.
This holds the whole corpus in memory (15.8 GB at 1M documents); ``--stream`` writes
``data/text_stream_N.jsonl`` shard by shard in bounded memory instead (see
:func:`generate_streamed`), for 1M and 10M documents:

    .venv/bin/python benchmarks/generate_text_corpus.py --docs 10000 100000
    .venv/bin/python benchmarks/generate_text_corpus.py --docs 1000000 10000000 --stream --jobs 2
    .venv/bin/python benchmarks/generate_text_corpus.py --docs 1000000 --stream --copies 3

``--copies K`` writes K copies of a streamed corpus, enciphered so that copies share no
near-duplicates (:func:`generate_replicated`): a corpus K times as large in minutes.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"

SPEC = {
    "generator": "generate_text_corpus.py",
    "version": 1,
    "seed": 7,
    "vocabulary": 60_000,
    "zipf_exponent": 1.1,
    "mean_bytes": 2500,
    "sd_bytes": 500,
    "near_duplicate_share": 0.2,
    "edit_rates": [0.0, 0.01, 0.02, 0.05, 0.10, 0.15, 0.20, 0.30],
}

FUNCTION_WORDS = [
    "the", "of", "and", "to", "a", "in", "is", "that", "it", "was", "for", "on", "are", "as",
    "with", "his", "they", "at", "be", "this", "from", "have", "or", "by", "one", "had", "not",
    "but", "what", "all", "were", "when", "we", "there", "can", "an", "your", "which", "their",
    "said", "if", "do", "will", "each", "about", "how", "up", "out", "them", "then", "she",
    "many", "some", "so", "these", "would", "other", "into", "has", "more", "her", "two", "like",
    "him", "see", "time", "could", "no", "make", "than", "first", "been", "its", "who", "now",
    "people", "my", "made", "over", "did", "down", "only", "way", "find", "use", "may", "water",
    "long", "little", "very", "after", "words", "called", "just", "where", "most", "know", "get",
    "through", "back", "much", "before", "go", "good", "new", "write", "our", "used", "me", "man",
    "too", "any", "day", "same", "right", "look", "think", "also", "around", "another", "came",
    "come", "work", "three", "word", "must", "because", "does", "part", "even", "place", "well",
    "such", "here", "take", "why", "things", "help", "put", "years", "different", "away", "again",
    "off", "went", "old", "number", "great", "tell", "men", "say", "small", "every", "found",
    "still", "between", "name", "should", "home", "big", "give", "air", "line", "set", "own",
    "under", "read", "last", "never", "us", "left", "end", "along", "while", "might", "next",
    "sound", "below", "saw", "something"
]
ONSETS = [
    "b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "qu", "r", "s", "t", "v", "w",
    "y", "z", "b", "c", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w",
    "bl", "br", "ch", "cl", "cr", "dr", "fl", "fr", "gl", "gr", "pl", "pr", "sc", "sh", "sk",
    "sl", "sm", "sn", "sp", "st", "str", "sw", "th", "tr", "wh"
]
VOWELS = ["a", "e", "i", "o", "u", "a", "e", "i", "o", "u", "y", "ai", "ea", "ee", "ie", "oo", "ou"]
ACCENTED = ["é", "è", "ü", "ö", "ä", "ø", "å", "ñ", "ç", "í", "ó", "á", "ß"]
CODAS = ("", "", "", "", "", "n", "r", "s", "t", "l", "m", "nd", "st", "ng", "ck", "rt", "sh", "th", "x")
END_MARKS = (".", ".", ".", ".", ".", ".", "!", "?", "?", "…", ":")
DASHES = (" - ", " -- ", " — ", "—")


def make_vocabulary(rng: random.Random, size: int) -> list[str]:
    words = list(dict.fromkeys(FUNCTION_WORDS))
    seen = set(words)
    while len(words) < size:
        syllables = rng.choices((1, 2, 3, 4), weights=(5, 6, 2, 0.3))[0]
        parts = []
        for _ in range(syllables):
            vowel = rng.choice(ACCENTED) if rng.random() < 0.03 else rng.choice(VOWELS)
            parts.append(rng.choice(ONSETS) + vowel + rng.choice(CODAS))
        word = "".join(parts)
        roll = rng.random()
        if roll < 0.02:
            word = word + "-" + rng.choice(words[:2000] if len(words) > 2000 else words)
        elif roll < 0.03:
            word = word + "'s"
        elif roll < 0.035:
            word = rng.choice(("l'", "d'", "o'")) + word
        elif roll < 0.06:
            word = word.capitalize()  # a proper noun
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


def a_number(rng: random.Random) -> str:
    kind = rng.randrange(9)
    if kind == 0:
        return str(rng.randrange(1500, 2030))
    if kind == 1:
        return f"{rng.uniform(0, 100):.{rng.randrange(1, 3)}f}"
    if kind == 2:
        return f"{rng.randrange(1, 100)}%"
    if kind == 3:
        return f"{rng.randrange(1000, 99999):,}"
    if kind == 4:
        return f"#{rng.randrange(1, 500)}"
    if kind == 5:
        n = rng.randrange(1, 40)
        suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
        return f"{n}{suffix}"
    if kind == 6:
        return f"{rng.randrange(0, 24)}:{rng.randrange(0, 60):02d}"
    if kind == 7:
        return f"${rng.randrange(1, 999)}.{rng.randrange(0, 100):02d}"
    return str(rng.randrange(0, 1000))


class Writer:
    """Draws words (Zipfian, from a precomputed stream) and renders sentences."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.vocabulary = make_vocabulary(self.rng, SPEC["vocabulary"])
        ranks = np.arange(1, len(self.vocabulary) + 1, dtype=np.float64)
        weights = 1.0 / (ranks + 2.7) ** SPEC["zipf_exponent"]
        self.cumulative = np.cumsum(weights / weights.sum())
        self.np_rng = np.random.default_rng(seed)
        self.stream: list[int] = []

    def word(self) -> str:
        if not self.stream:
            draws = np.searchsorted(self.cumulative, self.np_rng.random(1 << 16))
            self.stream = np.minimum(draws, len(self.vocabulary) - 1).tolist()
        return self.vocabulary[self.stream.pop()]

    def sentence(self) -> list[str]:
        """A sentence as a list of words, numbers and punctuation-bearing tokens."""
        rng = self.rng
        words = []
        for _ in range(rng.randrange(4, 31)):
            words.append(a_number(rng) if rng.random() < 0.04 else self.word())
        words[0] = words[0][:1].upper() + words[0][1:]
        for k in range(1, len(words) - 1):
            roll = rng.random()
            if roll < 0.07:
                words[k] += ","
            elif roll < 0.08:
                words[k] += ";"
            elif roll < 0.09:
                words[k] = words[k].upper()
        if len(words) > 6 and rng.random() < 0.12:
            start = rng.randrange(1, len(words) - 3)
            words[start] = "(" + words[start]
            words[start + 2] += ")"
        if len(words) > 6 and rng.random() < 0.12:
            start = rng.randrange(1, len(words) - 3)
            open_, close = rng.choice((('"', '"'), ("“", "”"), ("'", "'"), ("«", "»")))
            words[start] = open_ + words[start]
            words[start + rng.randrange(1, 3)] += close
        if len(words) > 8 and rng.random() < 0.08:
            k = rng.randrange(2, len(words) - 2)
            words[k] += rng.choice(DASHES).rstrip() if rng.random() < 0.5 else rng.choice(DASHES)
        words[-1] += rng.choice(END_MARKS)
        return words

    def document(self, target_bytes: int) -> list[list[str]]:
        sentences, size = [], 0
        while size < target_bytes:
            sentence = self.sentence()
            sentences.append(sentence)
            size += sum(len(w) for w in sentence) + len(sentence)
        return sentences

    def render(self, sentences: list[list[str]]) -> str:
        rng = self.rng
        out = []
        left = rng.randrange(1, 7)
        for sentence in sentences:
            text = " ".join(sentence)
            if rng.random() < 0.03:
                text = text.replace(" ", "  ", 1)
            out.append(text)
            left -= 1
            if left == 0:
                out.append(rng.choice(("\n\n", "\n\n", "\n", "\n\t", " \n\n")))
                left = rng.randrange(1, 7)
            else:
                out.append(" ")
        return "".join(out).strip()

    def typo(self, word: str) -> str:
        rng = self.rng
        if len(word) < 3:
            return word.upper() if rng.random() < 0.5 else word
        k = rng.randrange(len(word) - 1)
        kind = rng.randrange(4)
        if kind == 0:
            return word[:k] + word[k + 1] + word[k] + word[k + 2:]
        if kind == 1:
            return word[:k] + word[k + 1:]
        if kind == 2:
            return word[:k] + word[k] + word[k:]
        return word[:k] + word[k].swapcase() + word[k + 1:]

    def edit(self, sentences: list[list[str]], rate: float) -> list[list[str]]:
        """A near-duplicate: word and character edits at ``rate``, and sentences moved."""
        rng = self.rng
        edited = []
        for sentence in sentences:
            words = []
            for word in sentence:
                roll = rng.random()
                if roll < rate / 4:
                    continue  # deleted
                if roll < rate / 2:
                    words.append(self.word())  # substituted
                elif roll < 3 * rate / 4:
                    words.extend((word, self.word()))  # a word inserted after it
                elif roll < rate:
                    words.append(self.typo(word))
                else:
                    words.append(word)
            if words:
                edited.append(words)
        if rate > 0 and len(edited) > 2:
            for _ in range(rng.randrange(1, 3)):
                moved = edited.pop(rng.randrange(len(edited)))
                edited.insert(rng.randrange(len(edited) + 1), moved)
        return edited


def paths(n_docs: int, streamed: bool = False) -> tuple[Path, Path]:
    stem = f"text_stream_{n_docs}" if streamed else f"text_{n_docs}"
    return DATA / f"{stem}.jsonl", DATA / f"{stem}_spec.json"


def shuffled_texts(writer: Writer, n_docs: int) -> list[str]:
    """``n_docs`` texts, 20% of them near-duplicates of others among them, shuffled."""
    rng = writer.rng
    n_copies = round(n_docs * SPEC["near_duplicate_share"])
    n_originals = n_docs - n_copies
    structures: list[list[list[str]]] = []
    texts: list[str] = []
    for _ in range(n_originals):
        target = max(600, int(rng.gauss(SPEC["mean_bytes"], SPEC["sd_bytes"])))
        sentences = writer.document(target)
        structures.append(sentences)
        texts.append(writer.render(sentences))
    for _ in range(n_copies):
        # Mostly copies of an original, sometimes of a copy: chains and stars both occur.
        source = structures[rng.randrange(len(structures))]
        copy = writer.edit(source, rng.choice(SPEC["edit_rates"]))
        structures.append(copy)
        texts.append(writer.render(copy))
    order = list(range(n_docs))
    rng.shuffle(order)
    return [texts[index] for index in order]


def _records(texts: list[str], first: int, id_digits: int) -> str:
    return "".join(json.dumps({"id": f"t{first + k:0{id_digits}d}", "text": text},
                              ensure_ascii=False) + "\n" for k, text in enumerate(texts))


def generate(n_docs: int) -> Path:
    """The whole corpus drawn at once (it is held in memory: about 16 KB per document)."""
    corpus_path, spec_path = paths(n_docs)
    spec = {**SPEC, "docs": n_docs}
    if corpus_path.exists() and spec_path.exists() and json.loads(spec_path.read_text()) == spec:
        return corpus_path
    writer = Writer(SPEC["seed"] * 1_000_003 + n_docs)
    texts = shuffled_texts(writer, n_docs)
    DATA.mkdir(parents=True, exist_ok=True)
    temporary = corpus_path.with_suffix(".tmp")
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(_records(texts, 0, 7))
    temporary.replace(corpus_path)
    spec_path.write_text(json.dumps(spec, indent=1) + "\n")
    return corpus_path


# Documents per shard of a streamed corpus: each shard is drawn as generate() draws a corpus of
# this size (its own seed; near-duplicates of documents of the same shard, shuffled within it).
SHARD_DOCS = 20_000


def _shard(task: tuple[int, int, int, int]) -> bytes:
    n_docs, shard, first, count = task
    writer = Writer((SPEC["seed"] * 1_000_003 + n_docs) * 100_003 + shard)
    return _records(shuffled_texts(writer, count), first,
                    max(7, len(str(n_docs - 1)))).encode("utf-8")


def generate_streamed(n_docs: int, jobs: int = 1) -> Path:
    """The corpus written shard by shard (:data:`SHARD_DOCS` documents each, drawn in ``jobs``
    processes and written in order): memory holds a few shards whatever ``n_docs``. Same
    distribution as :func:`generate` (the texts, the 20% near-duplicates and their edit rates),
    except that a near-duplicate's source lies in its own shard."""
    corpus_path, spec_path = paths(n_docs, streamed=True)
    spec = {**SPEC, "docs": n_docs, "streamed_shard_docs": SHARD_DOCS}
    if corpus_path.exists() and spec_path.exists() and json.loads(spec_path.read_text()) == spec:
        return corpus_path
    tasks = [(n_docs, shard, first, min(SHARD_DOCS, n_docs - first))
             for shard, first in enumerate(range(0, n_docs, SHARD_DOCS))]
    DATA.mkdir(parents=True, exist_ok=True)
    temporary = corpus_path.with_suffix(".tmp")
    with open(temporary, "wb") as handle:
        if jobs == 1:
            for task in tasks:
                handle.write(_shard(task))
        else:
            with multiprocessing.get_context("spawn").Pool(jobs) as pool:
                for data in pool.imap(_shard, tasks):
                    handle.write(data)
    temporary.replace(corpus_path)
    spec_path.write_text(json.dumps(spec, indent=1) + "\n")
    return corpus_path


def _enciphered(line: bytes, copy: int, table: dict[int, int]) -> str:
    record = json.loads(line)
    return json.dumps({"id": f"c{copy}-{record['id']}", "text": record["text"].translate(table)},
                      ensure_ascii=False) + "\n"


def generate_replicated(n_docs: int, copies: int, jobs: int = 1) -> Path:
    """``copies`` copies of the streamed corpus of ``n_docs`` documents, one after another: the
    first as drawn, each other with its ids prefixed (``c2-t0000042``) and the letters of its
    texts enciphered (a permutation of a-z, the same on A-Z, drawn per copy; accented letters,
    digits and punctuation kept), so that no document of one copy is a near-duplicate of one of
    another copy. The result has ``copies`` times the documents and near-duplicate pairs, in
    shards of the same distribution, and is written in minutes where drawing a corpus that
    large takes hours (1M documents: 16 minutes with two processes)."""
    corpus_path = DATA / f"text_stream_{n_docs}x{copies}.jsonl"
    spec_path = DATA / f"text_stream_{n_docs}x{copies}_spec.json"
    # The spec generate_streamed writes: the copies are checked (and kept) without their source,
    # which a full disk may have made room for.
    spec = {**SPEC, "docs": n_docs, "streamed_shard_docs": SHARD_DOCS, "copies": copies,
            "copy_letters": "enciphered per copy after the first"}
    if corpus_path.exists() and spec_path.exists() and json.loads(spec_path.read_text()) == spec:
        return corpus_path
    source = generate_streamed(n_docs, jobs)
    temporary = corpus_path.with_suffix(".tmp")
    lower = "abcdefghijklmnopqrstuvwxyz"
    with open(temporary, "wb") as out:
        with open(source, "rb") as handle:
            while block := handle.read(1 << 24):
                out.write(block)
        for copy in range(2, copies + 1):
            shuffled = list(lower)
            random.Random(SPEC["seed"] * 1_000_003 + copy).shuffle(shuffled)
            table = str.maketrans(lower + lower.upper(),
                                  "".join(shuffled) + "".join(shuffled).upper())
            with open(source, "rb") as handle:
                for line in handle:
                    out.write(_enciphered(line, copy, table).encode("utf-8"))
    temporary.replace(corpus_path)
    spec_path.write_text(json.dumps(spec, indent=1) + "\n")
    return corpus_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--stream", action="store_true",
                        help="write shard by shard in bounded memory (text_stream_N.jsonl)")
    parser.add_argument("--jobs", type=int, default=1, help="processes drawing shards (--stream)")
    parser.add_argument("--copies", type=int, default=1, help="with --stream: this many copies "
                        "of the corpus, enciphered (text_stream_NxK.jsonl; see "
                        "generate_replicated)")
    args = parser.parse_args()
    for n_docs in args.docs:
        if args.stream and args.copies > 1:
            path = generate_replicated(n_docs, args.copies, args.jobs)
        else:
            path = generate_streamed(n_docs, args.jobs) if args.stream else generate(n_docs)
        print(f"{path}: {path.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
