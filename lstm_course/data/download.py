"""Optional downloads of larger data sets, cached and checked; never used by the book or the tests.

``fetch(url, sha256)`` returns the path of the file in the cache folder
(``$LSTM_COURSE_DATA``, else ``~/.cache/lstm_course``), downloading it only
when it is not there yet. A file is kept only if its SHA-256 is the one
given, so a changed or truncated download never reaches a model; without a
network the error says where to put a copy of the file by hand.

``fetch_dataset(name)`` fetches one of ``DATASETS``, the larger sets readers
expect, by name. An entry is added only with a checksum published for the
file by its source or by several independent projects that download it.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import NamedTuple, Optional

from .files import DataFileError

__all__ = ["DATASETS", "Dataset", "cache_folder", "fetch", "fetch_dataset"]


class Dataset(NamedTuple):
    url: str
    sha256: str
    size: int  # bytes
    description: str  # what it is, and its source and terms


DATASETS = {
    "imdb": Dataset(
        "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz",
        "c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe", 84125825,
        "50,000 movie reviews labelled positive or negative, and 50,000 unlabelled (Maas et al. 2011, "
        "https://ai.stanford.edu/~amaas/data/sentiment/; cite the paper when you use it)"),
}


def cache_folder() -> Path:
    """Where downloads are kept: ``$LSTM_COURSE_DATA``, else ``~/.cache/lstm_course``."""
    return Path(os.environ.get("LSTM_COURSE_DATA") or Path.home() / ".cache" / "lstm_course")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch(url: str, sha256: str, *, name: Optional[str] = None, timeout: float = 60) -> Path:
    """The path of the file at ``url`` in the cache, downloaded first if needed, with SHA-256 ``sha256``.

    Raises:
        DataFileError: the download failed (no network, a wrong URL) or gave a file with another checksum.
    """
    target = cache_folder() / (name or url.rstrip("/").rsplit("/", 1)[-1])
    if target.is_file() and _sha256(target) == sha256:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(dir=target.parent, prefix=target.name + ".", suffix=".partial")
    partial = Path(partial)
    try:
        with os.fdopen(handle, "wb") as file, urllib.request.urlopen(url, timeout=timeout) as response:
            for block in iter(lambda: response.read(1 << 20), b""):
                file.write(block)
        got = _sha256(partial)
        if got != sha256:
            raise DataFileError(f"the file downloaded from {url} has SHA-256 {got}, expected {sha256}: "
                                "it was not kept")
        os.replace(partial, target)
        return target
    except (urllib.error.URLError, OSError) as error:
        raise DataFileError(f"cannot download {url} ({error}). Without a network, copy the file by hand to "
                            f"{target} (or set LSTM_COURSE_DATA to a folder that has it)") from None
    finally:
        partial.unlink(missing_ok=True)


def fetch_dataset(name: str, *, timeout: float = 600) -> Path:
    """The cached path of the data set ``name`` of ``DATASETS``, downloaded and checked first if needed.

    >>> fetch_dataset("imbd")
    Traceback (most recent call last):
    ...
    ValueError: no data set 'imbd'; the data sets are: imdb
    """
    if name not in DATASETS:
        raise ValueError(f"no data set {name!r}; the data sets are: {', '.join(sorted(DATASETS))}")
    return fetch(DATASETS[name].url, DATASETS[name].sha256, timeout=timeout)
