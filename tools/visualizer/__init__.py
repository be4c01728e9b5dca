"""Seed tool: attention heatmaps of a trained checkpoint (show_attention.py)."""
