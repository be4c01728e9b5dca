"""Phase 0 (tokenizer): checkpoint script and debugging challenges."""
