"""Phase 0: the tokenizer — from UTF-8 bytes to a GPT-style byte-level BPE tokenizer and token shards.

Commits: 0.1 bytes and the corpus, 0.2 BPE training, 0.3 the Tokenizer, 0.4 the data pipeline.
This package re-exports the REFERENCE implementation; later phases import from here, never
from `exercises/` (the learner's stubs).
"""

from phase0_tokenizer.lazy import lazy_exports

# name -> module that defines it, imported on first use (see phase0_tokenizer/lazy.py for why).
_EXPORTS = {
    "ByteTokenizer": "phase0_tokenizer.byte_tokenizer", "bytes_per_token": "phase0_tokenizer.byte_tokenizer",
    "chars_per_token": "phase0_tokenizer.byte_tokenizer", "vocabulary_stats": "phase0_tokenizer.byte_tokenizer",
    "CorpusError": "phase0_tokenizer.corpus", "DEFAULT_CORPUS": "phase0_tokenizer.corpus",
    "list_corpora": "phase0_tokenizer.corpus", "load_corpus": "phase0_tokenizer.corpus",
    "load_documents": "phase0_tokenizer.corpus",
    "SequentialLoader": "phase0_tokenizer.data", "TokenDataset": "phase0_tokenizer.data",
    "check_device": "phase0_tokenizer.data", "get_batch": "phase0_tokenizer.data",
    "token_bytes": "phase0_tokenizer.data", "write_shards": "phase0_tokenizer.data",
    "DownloadError": "phase0_tokenizer.download", "download": "phase0_tokenizer.download",
    "GPT2FilesError": "phase0_tokenizer.gpt2", "load_gpt2": "phase0_tokenizer.gpt2",
    "GPT2_SPLIT_PATTERN": "phase0_tokenizer.pretokenize", "GPT4_SPLIT_PATTERN": "phase0_tokenizer.pretokenize",
    "build_vocab": "phase0_tokenizer.bpe", "get_pair_counts": "phase0_tokenizer.bpe", "merge": "phase0_tokenizer.bpe",
    "train_bpe": "phase0_tokenizer.bpe", "train_bpe_fast": "phase0_tokenizer.bpe_fast",
    "pretokenize": "phase0_tokenizer.pretokenize", "split_on_special": "phase0_tokenizer.pretokenize",
    "BOS": "phase0_tokenizer.tokenizer", "Tokenizer": "phase0_tokenizer.tokenizer",
    "TokenizerFileError": "phase0_tokenizer.tokenizer",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
