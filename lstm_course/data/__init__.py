"""Data for the course's applications: shipped with the package or generated, never downloaded.

========================  ================================================================  ====================
what                      functions                                                         module
========================  ================================================================  ====================
real time series          ``load_sunspots``, ``load_co2``, ``load_seattle_weather``         ``timeseries.py``
windows, splits, scaling  ``sliding_windows``, ``split_windows``, ``chronological_split``,  ``timeseries.py``
                          ``Standardizer``
a character corpus        ``python_docs_text``, ``char_stream``                             ``text.py``
surnames by language      ``load_surnames``                                                 ``names.py``
human-written dates       ``human_dates``                                                   ``dates.py``
tagged sentences          ``tagged_sentences``, ``spans``, ``tags_from_spans`` (BIO)       ``tagging.py``
long-lag synthetic tasks  ``adding_problem``, ``temporal_order``, ``copy_task``             ``synthetic.py``
batches                   ``Vocabulary``, ``pad_batch``, ``BucketBatchSampler``             ``batching.py``
the shipped files         ``files.path``, ``files.CHECKSUMS``                               ``files.py``
optional larger sets      ``download.fetch``, ``download.fetch_dataset`` (cached, checked)  ``download.py``
========================  ================================================================  ====================

Nothing here touches the network: the real data ships as small files in
``files/`` (each with its source, licence and SHA-256, listed in
``files/SOURCES.md``) or comes with Python itself, and the rest is generated
from a seed.
"""

from .batching import BucketBatchSampler, Vocabulary, pad_batch
from .dates import human_dates
from .files import DataFileError
from .names import load_surnames
from .synthetic import adding_problem, copy_task, temporal_order
from .tagging import spans, tagged_sentences, tags_from_spans
from .text import char_stream, python_docs_text
from .timeseries import (Series, Split, Standardizer, chronological_split, load_co2, load_seattle_weather,
                         load_sunspots, sliding_windows, split_windows)

__all__ = ["BucketBatchSampler", "DataFileError", "Series", "Split", "Standardizer", "Vocabulary", "adding_problem",
           "char_stream", "chronological_split", "copy_task", "human_dates", "load_co2", "load_seattle_weather",
           "load_surnames", "load_sunspots", "pad_batch", "python_docs_text", "sliding_windows", "spans",
           "split_windows", "tagged_sentences", "tags_from_spans", "temporal_order"]
