"""Course machinery: stub generator, progress runner, hints, reset, challenge checker, and the seed tools."""
