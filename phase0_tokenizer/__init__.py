"""Phase 0: the tokenizer — from UTF-8 bytes to a GPT-style byte-level BPE tokenizer and token shards.

Commits: 0.1 bytes and the corpus, 0.2 BPE training, 0.3 the Tokenizer, 0.4 the data pipeline.
This package re-exports the REFERENCE implementation; later phases import from here, never
from `exercises/` (the learner's stubs).
"""

from phase0_tokenizer.byte_tokenizer import ByteTokenizer, bytes_per_token, chars_per_token, vocabulary_stats
from phase0_tokenizer.corpus import DEFAULT_CORPUS, CorpusError, list_corpora, load_corpus, load_documents
from phase0_tokenizer.data import SequentialLoader, TokenDataset, check_device, get_batch, token_bytes, write_shards
from phase0_tokenizer.download import DownloadError, download
from phase0_tokenizer.gpt2 import GPT2FilesError, load_gpt2
from phase0_tokenizer.pretokenize import GPT2_SPLIT_PATTERN, GPT4_SPLIT_PATTERN
from phase0_tokenizer.tokenizer import BOS, Tokenizer, TokenizerFileError

__all__ = [
    "ByteTokenizer", "bytes_per_token", "chars_per_token", "vocabulary_stats",
    "DEFAULT_CORPUS", "CorpusError", "list_corpora", "load_corpus", "load_documents",
    "DownloadError", "download",
    "SequentialLoader", "TokenDataset", "check_device", "get_batch", "token_bytes", "write_shards",
    "GPT2FilesError", "load_gpt2", "GPT2_SPLIT_PATTERN", "GPT4_SPLIT_PATTERN",
    "BOS", "Tokenizer", "TokenizerFileError",
]
