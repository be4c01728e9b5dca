"""Phase 1: the model. A GPT built from scratch, one concern per module (see README.md)."""

from phase1_model.attention import CausalSelfAttention, causal_mask, multi_head_attention
from phase1_model.bigram import BigramLanguageModel
from phase1_model.block import Block
from phase1_model.config import LINEAGES, ConfigError, GPTConfig
from phase1_model.generate import KVCache, generate, sample_next_token
from phase1_model.gpt import GPT, CheckpointError, load_weights, read_checkpoint
from phase1_model.params import count_parameters, parameter_table

__all__ = [
    "GPT", "GPTConfig", "LINEAGES", "ConfigError", "CheckpointError", "load_weights", "read_checkpoint",
    "count_parameters", "parameter_table", "BigramLanguageModel", "Block", "CausalSelfAttention",
    "causal_mask", "multi_head_attention", "KVCache", "generate", "sample_next_token",
]
