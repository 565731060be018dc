"""allocator: the glibc thresholds are set once per outermost run, and memory is trimmed after."""

from __future__ import annotations

import platform

import pytest

from reuse.engine import allocator


class _FakeLibc:
    """glibc without mallinfo2: it always trims after a run."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def mallopt(self, option: int, value: int) -> int:
        self.calls.append(("mallopt", option, value))
        return 1

    def malloc_trim(self, pad: int) -> int:
        self.calls.append(("malloc_trim", pad))
        return 1


def test_thresholds_set_once_and_trimmed_after_the_outermost_run(monkeypatch):
    fake = _FakeLibc()
    monkeypatch.setattr(allocator, "_LIBC", fake)
    with allocator.reusable_heap():
        with allocator.reusable_heap():
            pass
        assert fake.calls == [
            ("mallopt", -3, 32 * 1024 * 1024),  # M_MMAP_THRESHOLD
            ("mallopt", -1, 64 * 1024 * 1024),  # M_TRIM_THRESHOLD
        ]
    assert fake.calls[-1] == ("malloc_trim", 0)
    assert len(fake.calls) == 3


def test_an_error_inside_still_trims(monkeypatch):
    fake = _FakeLibc()
    monkeypatch.setattr(allocator, "_LIBC", fake)
    with pytest.raises(KeyError), allocator.reusable_heap():
        raise KeyError("boom")
    assert fake.calls[-1] == ("malloc_trim", 0)
    assert allocator.HEAP.depth == 0


def test_does_nothing_without_glibc(monkeypatch):
    monkeypatch.setattr(allocator, "_LIBC", None)
    with allocator.reusable_heap():
        pass
    assert allocator.HEAP.depth == 0


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc only")
def test_glibc_is_found_here():
    assert allocator._LIBC is not None


class _FakeLibcWithMallinfo(_FakeLibc):
    def __init__(self, free_bytes: int) -> None:
        super().__init__()
        self.free_bytes = free_bytes

    def mallinfo2(self) -> allocator._MallInfo2:
        return allocator._MallInfo2(fordblks=self.free_bytes)


@pytest.mark.parametrize(("free_mib", "trimmed"), [(10, False), (257, True)])
def test_trims_only_when_much_of_the_heap_is_free(monkeypatch, free_mib, trimmed):
    fake = _FakeLibcWithMallinfo(free_mib * 1024 * 1024)
    monkeypatch.setattr(allocator, "_LIBC", fake)
    with allocator.reusable_heap():
        pass
    assert (("malloc_trim", 0) in fake.calls) is trimmed


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc only")
def test_free_heap_bytes_is_read_from_this_glibc():
    free = allocator._free_heap_bytes()
    assert free is None or free >= 0


def test_the_python_api_leaves_the_allocator_alone(monkeypatch, tmp_path):
    import reuse

    fake = _FakeLibc()
    monkeypatch.setattr(allocator, "_LIBC", fake)
    (tmp_path / "a.txt").write_text("one two three four five six seven eight nine ten\n")
    (tmp_path / "b.txt").write_text("one two three four five six seven eight nine ten\n")
    reuse.dedup(tmp_path)
    reuse.run(tmp_path)
    assert fake.calls == []


def test_the_command_tunes_the_allocator_for_its_run(monkeypatch, tmp_path):
    from reuse.cli import command

    fake = _FakeLibc()
    monkeypatch.setattr(allocator, "_LIBC", fake)
    # The command sets it for its process: undone after the test.
    monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", "system")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("one two three four five six seven eight nine ten\n")
    monkeypatch.setattr("sys.argv", ["reuse", "dedup", str(corpus), "--out", str(tmp_path / "out"),
                                     "--quiet"])
    with pytest.raises(SystemExit) as exit_info:
        command.main()
    assert exit_info.value.code == 0
    assert [call[0] for call in fake.calls] == ["mallopt", "mallopt", "malloc_trim"]


_POOL_OF_A_COMMAND = """
import sys
from reuse.cli import command
sys.argv = ["reuse", "dedup", sys.argv[1], "--out", sys.argv[2], "--quiet"]
try:
    command.main()
except SystemExit as exit_:
    assert exit_.code == 0, exit_.code
import pyarrow
print(pyarrow.default_memory_pool().backend_name)
"""


@pytest.mark.parametrize(("chosen", "used"), [(None, "system"), ("mimalloc", "mimalloc")])
def test_the_command_has_arrow_allocate_from_the_heap_it_tunes(tmp_path, chosen, used):
    import os
    import subprocess
    import sys

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("one two three four five six seven eight nine ten\n")
    env = {key: value for key, value in os.environ.items()
           if key != "ARROW_DEFAULT_MEMORY_POOL"}
    if chosen is not None:  # the user's choice stands
        env["ARROW_DEFAULT_MEMORY_POOL"] = chosen
    done = subprocess.run([sys.executable, "-c", _POOL_OF_A_COMMAND, str(corpus),
                           str(tmp_path / "out")], env=env, capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == used
    assert (tmp_path / "out" / "manifest.json").exists()


def test_the_python_api_leaves_arrow_s_pool_alone(monkeypatch, tmp_path):
    import os

    import reuse

    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
    (tmp_path / "a.txt").write_text("one two three four five six seven eight nine ten\n")
    reuse.dedup(tmp_path)
    assert "ARROW_DEFAULT_MEMORY_POOL" not in os.environ
