"""The exercise registry: find every `# >>> exercise` region in the reference code.

This is the one source of truth the course machinery reads. A region looks like

    # >>> exercise 0.2 merge
    ...reference body...
    # <<< exercise 0.2 merge

and lives in a reference module `phaseN_*/<module>.py`. The markers carry the
commit and the name only: hints live in tools/hints/<commit>.md (tools/hint_levels.py
reads them), so no stub ever shows one. The stub generator, the progress runner,
`make hint` and `make reset` all start from `find_exercises()`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

OPEN_RE = re.compile(r"^(?P<indent>[ \t]*)# >>> exercise (?P<commit>\d+\.\d+) (?P<name>\w+)\s*$")
# Any line that starts like an opening marker: one that is not exactly OPEN_RE is an error, never
# silently ordinary code (an old-style `# >>> exercise 0.2 merge: hint` would otherwise vanish).
ANY_OPEN_RE = re.compile(r"^[ \t]*# >>> exercise\b\s*(?P<commit>\d+\.\d+)?")
CLOSE_RE = re.compile(r"^[ \t]*# <<< exercise (?P<commit>\d+\.\d+) (?P<name>\w+)\s*$")


class ExerciseFormatError(ValueError):
    """A malformed exercise region (unclosed, nested, mismatched, duplicated)."""


@dataclass(frozen=True)
class Exercise:
    commit: str          # "0.2"
    name: str            # "merge"
    module: str          # dotted reference module, "phase0_tokenizer.bpe"
    path: Path           # reference file
    start: int           # 0-based index of the `# >>>` line
    end: int             # 0-based index of the `# <<<` line
    indent: str          # indentation of the markers (and of the stub body)

    @property
    def key(self) -> str:
        return f"{self.commit} {self.name}"

    @property
    def stub_module(self) -> str:
        package, _, leaf = self.module.rpartition(".")
        return f"{package}.exercises.{leaf}"

    @property
    def stub_path(self) -> Path:
        return self.path.parent / "exercises" / self.path.name


def phase_packages(root: Path = REPO_ROOT) -> list[Path]:
    """The course packages, in curriculum order: phase0_tokenizer, phase1_model, ..."""
    return sorted(p for p in root.glob("phase*_*") if (p / "__init__.py").exists())


def reference_modules(root: Path = REPO_ROOT) -> list[Path]:
    """Reference modules: the top-level .py files of each phase package."""
    return [m for pkg in phase_packages(root) for m in sorted(pkg.glob("*.py")) if m.name != "__init__.py"]


def module_name(path: Path, root: Path = REPO_ROOT) -> str:
    """phase0_tokenizer/bpe.py -> 'phase0_tokenizer.bpe'."""
    return ".".join(path.resolve().relative_to(root.resolve()).with_suffix("").parts)


def parse_regions(path: Path, lines: list[str] | None = None, module: str | None = None) -> list[Exercise]:
    """Parse the exercise regions of one file (reference or learner stub)."""
    if lines is None:
        lines = path.read_text(encoding="utf-8").splitlines()
    if module is None:
        module = module_name(path)
    found: list[Exercise] = []
    open_match, open_line = None, -1
    for i, line in enumerate(lines):
        m = OPEN_RE.match(line)
        if not m and (loose := ANY_OPEN_RE.match(line)):
            raise ExerciseFormatError(
                f"{path}:{i + 1}: the opening marker must be exactly '# >>> exercise <commit> <name>' "
                f"with nothing after the name, got {line.strip()!r}; move hints to "
                f"tools/hints/{loose['commit'] or '<commit>'}.md (a '## <name>' section, see CONTRIBUTING.md)")
        if m:
            if open_match:
                raise ExerciseFormatError(f"{path}:{i + 1}: exercise opened inside exercise "
                                          f"{open_match['commit']} {open_match['name']} (line {open_line + 1})")
            open_match, open_line = m, i
            continue
        m = CLOSE_RE.match(line)
        if m:
            if not open_match or (m["commit"], m["name"]) != (open_match["commit"], open_match["name"]):
                raise ExerciseFormatError(f"{path}:{i + 1}: '# <<< exercise {m['commit']} {m['name']}' "
                                          "closes nothing; check the matching '# >>>' line")
            found.append(Exercise(open_match["commit"], open_match["name"], module, path, open_line, i,
                                  open_match["indent"]))
            open_match = None
    if open_match:
        raise ExerciseFormatError(f"{path}:{open_line + 1}: exercise {open_match['commit']} "
                                  f"{open_match['name']} is never closed with '# <<< exercise ...'")
    return found


def find_exercises(root: Path = REPO_ROOT) -> list[Exercise]:
    """Every exercise in the course, in curriculum order (commit, then file, then line)."""
    exercises = [ex for path in reference_modules(root)
                 for ex in parse_regions(path, module=module_name(path, root))]
    seen: dict[str, Exercise] = {}
    for ex in exercises:
        if ex.key in seen:
            raise ExerciseFormatError(f"exercise '{ex.key}' defined twice: {seen[ex.key].path} and {ex.path}")
        seen[ex.key] = ex
    return sorted(exercises, key=lambda e: (commit_sort_key(e.commit), str(e.path), e.start))


def commit_sort_key(commit: str) -> tuple[int, ...]:
    return tuple(int(part) for part in commit.split("."))


def select(exercises: list[Exercise], selector: str | None) -> list[Exercise]:
    """Filter by a selector: None/'all', a phase '0', a commit '0.2', or one exercise '0.2:merge'."""
    if not selector or selector == "all":
        return exercises
    commit, _, name = selector.partition(":")
    if "." not in commit:  # a whole phase ('0:merge' names nothing: a name needs its commit)
        return [] if name else [e for e in exercises if e.commit.split(".")[0] == commit]
    return [e for e in exercises if e.commit == commit and (not name or e.name == name)]


def stub_body(ex: Exercise) -> list[str]:
    """The lines a stub has between the markers: the task statement, then NotImplementedError.
    Never the code: hints live in tools/hints/<commit>.md, shown by `make hint`."""
    return [f"{ex.indent}# TODO: write this region; the docstring above states the contract. "
            f"Stuck? make hint EX={ex.commit}:{ex.name}",
            f'{ex.indent}raise NotImplementedError("exercise {ex.commit} {ex.name}")']
