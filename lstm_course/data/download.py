"""Optional downloads of larger data sets, cached and checked; never used by the book or the tests.

``fetch(url, digest)`` returns the path of the file in the cache folder
(``$LSTM_COURSE_DATA``, else ``~/.cache/lstm_course``), downloading it only
when it is not there yet. A file is kept only if its digest (SHA-256, or
the SHA-1 some sources publish) is the one given, so a changed or truncated
download never reaches a model; without a network the error says where to
put a copy of the file by hand.

``fetch_dataset(name)`` fetches one of ``DATASETS``, the larger sets readers
expect, by name. An entry is added only with a checksum published for the
file by its source or by several independent projects that download it; the
PyTorch tutorials' names archive has none, so it is not here.
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
    digest: str  # hexadecimal, of the algorithm below
    size: Optional[int]  # bytes; None where the source does not publish it
    description: str  # what it is, and its source and terms
    algorithm: str = "sha256"  # or "sha1", where only that is published


DATASETS = {
    "imdb": Dataset(
        "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz",
        "c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe", 84125825,
        "50,000 movie reviews labelled positive or negative, and 50,000 unlabelled (Maas et al. 2011, "
        "https://ai.stanford.edu/~amaas/data/sentiment/; cite the paper when you use it)"),
    # d2l.ai's mirrors, with the SHA-1 digests its book publishes beside them (d2l.DATA_HUB).
    "fra-eng": Dataset(
        "https://d2l-data.s3-accelerate.amazonaws.com/fra-eng.zip",
        "94646ad1522d915e7b0f9296181140edcf86a4f5", None,
        "English-French sentence pairs from the Tatoeba project (https://tatoeba.org, CC BY 2.0 FR), as "
        "prepared by https://www.manythings.org/anki/ and mirrored by Dive into Deep Learning (https://d2l.ai)",
        "sha1"),
    "time-machine": Dataset(
        "https://d2l-data.s3-accelerate.amazonaws.com/timemachine.txt",
        "090b5e7e70c295757f55df93cb0a180b9691891a", None,
        "H. G. Wells, The Time Machine (public domain, https://www.gutenberg.org/ebooks/35), the character "
        "corpus of Dive into Deep Learning's language models (https://d2l.ai)",
        "sha1"),
}


def cache_folder() -> Path:
    """Where downloads are kept: ``$LSTM_COURSE_DATA``, else ``~/.cache/lstm_course``."""
    return Path(os.environ.get("LSTM_COURSE_DATA") or Path.home() / ".cache" / "lstm_course")


def _digest(path: Path, algorithm: str) -> str:
    digest = hashlib.new(algorithm)
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch(url: str, digest: str, *, algorithm: str = "sha256", name: Optional[str] = None,
          timeout: float = 60) -> Path:
    """The path of the file at ``url`` in the cache, downloaded first if needed, whose ``algorithm``
    digest (``"sha256"`` or ``"sha1"``) is ``digest``.

    Raises:
        DataFileError: the download failed (no network, a wrong URL) or gave a file with another checksum.
        ValueError: ``algorithm`` is neither ``"sha256"`` nor ``"sha1"``.
    """
    if algorithm not in ("sha256", "sha1"):
        raise ValueError(f"algorithm must be 'sha256' or 'sha1', got {algorithm!r}")
    target = cache_folder() / (name or url.rstrip("/").rsplit("/", 1)[-1])
    if target.is_file() and _digest(target, algorithm) == digest:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(dir=target.parent, prefix=target.name + ".", suffix=".partial")
    partial = Path(partial)
    try:
        with os.fdopen(handle, "wb") as file, urllib.request.urlopen(url, timeout=timeout) as response:
            for block in iter(lambda: response.read(1 << 20), b""):
                file.write(block)
        got = _digest(partial, algorithm)
        if got != digest:
            raise DataFileError(f"the file downloaded from {url} has {algorithm.upper()} {got}, expected "
                                f"{digest}: it was not kept")
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
    ValueError: no data set 'imbd'; the data sets are: fra-eng, imdb, time-machine
    """
    if name not in DATASETS:
        raise ValueError(f"no data set {name!r}; the data sets are: {', '.join(sorted(DATASETS))}")
    entry = DATASETS[name]
    return fetch(entry.url, entry.digest, algorithm=entry.algorithm, timeout=timeout)
