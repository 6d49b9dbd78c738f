"""The source distribution carries everything its own test suite reads."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Files a test, the root conftest or .ci/run reads from the source tree.
NEEDED_DIRECTORIES = ("tests", "examples", "benchmarks")
NEEDED_FILES = ("conftest.py", "README.md", "LICENSE", ".ci/run")
NOT_SOURCE = ("__pycache__", ".hypothesis", ".pytest_cache")


def _source_files():
    needed = set(NEEDED_FILES)
    for directory in NEEDED_DIRECTORIES:
        for path in (ROOT / directory).rglob("*"):
            relative = path.relative_to(ROOT)
            if path.is_file() and not set(relative.parts) & set(NOT_SOURCE):
                needed.add(relative.as_posix())
    return needed


def test_the_manifest_ships_what_the_tests_read(monkeypatch):
    egg_info = pytest.importorskip("setuptools.command.egg_info")
    if not hasattr(egg_info, "FileList"):
        pytest.skip("this setuptools keeps its manifest reader elsewhere")
    monkeypatch.chdir(ROOT)  # the manifest's patterns are relative to the root
    shipped = egg_info.FileList()
    shipped.findall()
    for line in (ROOT / "MANIFEST.in").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            shipped.process_template_line(line)
    needed = _source_files()
    assert len(needed) > 40  # the walk found the test files themselves
    assert sorted(needed - set(shipped.files)) == []
