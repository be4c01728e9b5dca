"""Every commit with exercises has a "build it" region: a whole idea of >= 10 lines (DESIGN.md).

Counted on the reference body between the markers: non-blank lines that are not comments, so a
region cannot reach the bar with prose. Small warm-ups may sit beside the build-it region.
"""

from collections import defaultdict

from tools.exercises import find_exercises

BUILD_IT_LINES = 10


def code_lines(ex) -> int:
    body = ex.path.read_text(encoding="utf-8").splitlines()[ex.start + 1:ex.end]
    return sum(1 for line in body if line.strip() and not line.strip().startswith("#"))


def test_every_commit_with_exercises_has_a_build_it_region_of_ten_or_more_lines():
    largest: dict[str, tuple[int, str]] = defaultdict(lambda: (0, ""))
    for ex in find_exercises():
        largest[ex.commit] = max(largest[ex.commit], (code_lines(ex), ex.name))
    small = {c: f"{name} ({n} lines)" for c, (n, name) in largest.items() if n < BUILD_IT_LINES}
    assert largest, "no exercise regions found"
    assert not small, f"commits whose largest region is under {BUILD_IT_LINES} code lines: {small}"
