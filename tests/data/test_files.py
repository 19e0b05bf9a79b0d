"""The shipped data files: each is listed with its checksum and its source, and a changed file is refused."""

from __future__ import annotations

import hashlib
import shutil

import pytest

from lstm_course.data import files


def test_every_shipped_file_has_its_checksum_and_its_source():
    shipped = sorted(p.name for p in files.FOLDER.iterdir() if p.suffix == ".csv")
    assert shipped == sorted(files.CHECKSUMS)
    sources = (files.FOLDER / "SOURCES.md").read_text()
    for name, digest in files.CHECKSUMS.items():
        assert hashlib.sha256((files.FOLDER / name).read_bytes()).hexdigest() == digest
        assert f"`{name}`" in sources and "licence" in sources


def test_a_changed_file_is_refused(tmp_path, monkeypatch):
    for name in files.CHECKSUMS:
        shutil.copy(files.FOLDER / name, tmp_path / name)
    (tmp_path / "sunspots.csv").write_text("YEAR,SUNACTIVITY\n1700,5\n")
    monkeypatch.setattr(files, "FOLDER", tmp_path)
    files.path.cache_clear()
    try:
        with pytest.raises(files.DataFileError, match="changed or damaged"):
            files.path("sunspots.csv")
        assert files.path("co2_weekly.csv") == tmp_path / "co2_weekly.csv"
        with pytest.raises(KeyError, match="no shipped data file"):
            files.path("imdb.csv")
    finally:
        files.path.cache_clear()
