"""Phase checkpoints and exercises beyond the stubs: understanding, extension, debugging challenges, research."""
