"""Benchmarks against peers (HF tokenizers, HF transformers). Not tests: CI smoke-runs them with --quick."""
