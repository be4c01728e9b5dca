"""Phase 1 checkpoint and exercises: `python -m checkpoints_exercises.phase1.checkpoint` (make checkpoint1)."""
