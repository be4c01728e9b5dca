"""Phase 0: the tokenizer — from UTF-8 bytes to a GPT-style byte-level BPE tokenizer and token shards.

Commits: 0.1 bytes and the corpus, 0.2 BPE training, 0.3 the Tokenizer, 0.4 the data pipeline.
This package re-exports the REFERENCE implementation; later phases import from here, never
from `exercises/` (the learner's stubs).
"""

from phase0_tokenizer.byte_tokenizer import ByteTokenizer, bytes_per_token, chars_per_token, vocabulary_stats
from phase0_tokenizer.corpus import DEFAULT_CORPUS, CorpusError, list_corpora, load_corpus, load_documents
from phase0_tokenizer.download import DownloadError, download

__all__ = [
    "ByteTokenizer", "bytes_per_token", "chars_per_token", "vocabulary_stats",
    "DEFAULT_CORPUS", "CorpusError", "list_corpora", "load_corpus", "load_documents",
    "DownloadError", "download",
]
