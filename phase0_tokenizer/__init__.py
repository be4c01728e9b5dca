"""Phase 0: the tokenizer."""
