"""Datasets: one registry, one resolver (cache -> mirror -> download, sha256-checked), parsers.

Environment: ``RNNBOOK_DATA_DIR`` (cache folder), ``RNNBOOK_DATA_MIRROR`` (read-only mirror;
when set nothing is downloaded) and ``RNNBOOK_SAMPLES=1`` (hand-made samples, results
meaningless). See ``datasets/README.md``.
"""

from rnnbook.datasets.conll import ConllData, Sentence, iob1_to_iob2, load_conll2003, parse_conll
from rnnbook.datasets.errors import (
    ChecksumError,
    DatasetError,
    DatasetFormatError,
    DatasetUnavailableError,
)
from rnnbook.datasets.glove import GloveMatrix, load_glove_matrix, load_glove_vectors
from rnnbook.datasets.imdb import ImdbData, load_imdb, load_imdb_word_index
from rnnbook.datasets.registry import (
    DatasetSpec,
    FileSpec,
    FormSpec,
    Registry,
    get_spec,
    list_datasets,
    load_registry,
)
from rnnbook.datasets.report import FileStatus, VerifyReport, verify
from rnnbook.datasets.resolver import data_dir, dataset_path, fetch, mirror_dir, samples_mode
from rnnbook.datasets.shakespeare import TextSplit, load_shakespeare, speaker_names
from rnnbook.datasets.spa_eng import PairsData, group_by_source, load_spa_eng

__all__ = [
    "ChecksumError",
    "ConllData",
    "DatasetError",
    "DatasetFormatError",
    "DatasetSpec",
    "DatasetUnavailableError",
    "FileSpec",
    "FileStatus",
    "FormSpec",
    "GloveMatrix",
    "ImdbData",
    "PairsData",
    "Registry",
    "Sentence",
    "TextSplit",
    "VerifyReport",
    "data_dir",
    "dataset_path",
    "fetch",
    "get_spec",
    "iob1_to_iob2",
    "list_datasets",
    "load_conll2003",
    "load_glove_matrix",
    "load_glove_vectors",
    "load_imdb",
    "load_imdb_word_index",
    "load_registry",
    "load_shakespeare",
    "speaker_names",
    "group_by_source",
    "load_spa_eng",
    "mirror_dir",
    "parse_conll",
    "samples_mode",
    "verify",
]
