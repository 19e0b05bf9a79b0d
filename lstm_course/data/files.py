"""The data files shipped with the package, their checksums, and reading them.

Every file in ``files/`` is listed here with its SHA-256; ``path`` checks it
before a loader reads the file, so a damaged or edited copy fails loudly
instead of changing results. ``files/SOURCES.md`` names each file's source
and licence.
"""

from __future__ import annotations

import csv
import functools
import hashlib
from pathlib import Path

__all__ = ["CHECKSUMS", "DataFileError", "path", "read_csv"]

FOLDER = Path(__file__).resolve().parent / "files"

CHECKSUMS = {
    "co2_weekly.csv": "16695fa2786e53414e5a6b54767a3fdf5de99cfbc68617f69d1362d92776a92f",
    "seattle_weather.csv": "62f0609f787158128aa2bd102967173a4953122dd4f872bf1d502cae1037df0b",
    "sunspots.csv": "f67889b1d9002cd5227f0e0ef54e35b419cdd85a31279adef6f73fb41e5c0a9b",
    "surnames.csv": "b3a5769e02b7c4f294c7ec6d34bc1317ef58b0220f0be415af414a269eb7e028",
}


class DataFileError(RuntimeError):
    """A shipped data file is missing or is not the file the package was released with."""


@functools.lru_cache(maxsize=None)
def path(name: str) -> Path:
    """The path of the shipped file ``name``, after checking its SHA-256."""
    if name not in CHECKSUMS:
        raise KeyError(f"no shipped data file {name!r}; the files are {sorted(CHECKSUMS)}")
    file = FOLDER / name
    try:
        digest = hashlib.sha256(file.read_bytes()).hexdigest()
    except OSError as error:
        raise DataFileError(f"the data file {file} cannot be read ({error}): reinstall the package") from None
    if digest != CHECKSUMS[name]:
        raise DataFileError(f"the data file {file} has SHA-256 {digest}, expected {CHECKSUMS[name]}: "
                            "it was changed or damaged; reinstall the package")
    return file


def read_csv(name: str) -> list[dict]:
    """The rows of the shipped CSV file ``name`` as dicts of strings."""
    with path(name).open(newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))
