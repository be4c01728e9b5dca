"""Mutation lists for `python -m tools.mutate` (mutations.py: the main list; heldout.py: held out)."""
