"""Learner stubs: generated from the reference modules by `make stubs`."""
