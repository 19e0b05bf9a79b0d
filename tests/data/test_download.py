"""Optional downloads: cached, checked, refused when the checksum differs, and clear when offline.

Only ``file://`` addresses are used: nothing here touches the network.
"""

from __future__ import annotations

import hashlib
import urllib.request

import pytest

from lstm_course.data import download
from lstm_course.data.files import DataFileError


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LSTM_COURSE_DATA", str(tmp_path / "cache"))
    source = tmp_path / "corpus.txt"
    source.write_bytes(b"some text\n" * 100)
    return source, hashlib.sha256(source.read_bytes()).hexdigest()


def test_a_download_is_checked_then_kept_and_reused(cache, monkeypatch):
    source, digest = cache
    path = download.fetch(source.as_uri(), digest)
    assert path.read_bytes() == source.read_bytes() and path.parent == download.cache_folder()
    monkeypatch.setattr(urllib.request, "urlopen", lambda *a, **k: pytest.fail("the cached copy is not reused"))
    assert download.fetch(source.as_uri(), digest) == path


def test_a_file_with_another_checksum_is_not_kept(cache):
    source, _ = cache
    with pytest.raises(DataFileError, match="was not kept"):
        download.fetch(source.as_uri(), "0" * 64)
    assert list(download.cache_folder().iterdir()) == []


def test_offline_the_error_says_where_to_put_the_file(cache):
    _, digest = cache
    with pytest.raises(DataFileError, match="copy the file by hand to .*missing.txt"):
        download.fetch("file:///nonexistent/missing.txt", digest)


def test_a_sha1_digest_is_checked_too(cache):
    source, _ = cache
    sha1 = hashlib.sha1(source.read_bytes()).hexdigest()
    assert download.fetch(source.as_uri(), sha1, algorithm="sha1").read_bytes() == source.read_bytes()
    with pytest.raises(DataFileError, match="SHA1 .* was not kept"):
        download.fetch(source.as_uri(), "0" * 40, algorithm="sha1", name="other.txt")
    with pytest.raises(ValueError, match="'sha256' or 'sha1'"):
        download.fetch(source.as_uri(), "0" * 32, algorithm="md5")


def test_every_registered_data_set_has_an_https_address_a_checksum_and_a_source():
    assert {"imdb", "fra-eng", "time-machine"} <= set(download.DATASETS)
    for name, entry in download.DATASETS.items():
        assert entry.url.startswith("https://") and "http" in entry.description, name
        assert entry.size is None or entry.size > 0, name
        width = {"sha256": 64, "sha1": 40}[entry.algorithm]
        assert len(entry.digest) == width and set(entry.digest) <= set("0123456789abcdef"), name


def test_a_registered_data_set_is_fetched_through_the_cache_and_its_checksum(tmp_path, monkeypatch):
    monkeypatch.setenv("LSTM_COURSE_DATA", str(tmp_path))
    monkeypatch.setattr(urllib.request, "urlopen", lambda *a, **k: (_ for _ in ()).throw(OSError("offline")))
    with pytest.raises(DataFileError, match=r"cannot download .*aclImdb_v1\.tar\.gz .*copy the file by hand"):
        download.fetch_dataset("imdb")
    # A file with the wrong contents in the cache is not taken for the data set.
    (tmp_path / "aclImdb_v1.tar.gz").write_bytes(b"not the archive")
    with pytest.raises(DataFileError):
        download.fetch_dataset("imdb")
    with pytest.raises(ValueError, match="the data sets are: fra-eng, imdb, time-machine"):
        download.fetch_dataset("imbd")


def test_a_data_set_is_checked_with_the_algorithm_its_source_publishes(monkeypatch):
    calls = []
    monkeypatch.setattr(download, "fetch", lambda *args, **kwargs: calls.append((args, kwargs)))
    download.fetch_dataset("time-machine")
    entry = download.DATASETS["time-machine"]
    assert calls == [((entry.url, entry.digest), {"algorithm": "sha1", "timeout": 600})]
