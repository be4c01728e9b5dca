"""Seed tool: AST-level side-by-side of two Python code bases (compare.py)."""
