"""Training profiler: where a step's time goes (python tools/profiler/profile_training.py --help)."""
