"""Layered hints: read tools/hints/<commit>.md, and remember which levels a learner opened.

A hints file holds one `## <exercise>` section per exercise region of the commit,
each with `### Level 1`, `### Level 2`, ... from the idea and where to read (1)
to pseudo-code (the last level):

    # Hints for commit 1.2 — Self-attention

    ## attention

    ### Level 1

    The idea, and where to read it (ADR, paper summary section, docstring).

    ### Level 2

    A more specific nudge: the shape of the solution, the trap to avoid.

Hints never sit in a stub, so a learner sees one only by asking for it
(`make hint EX=1.2`, tools/hint.py). Which levels were asked for is recorded in
`.mnc-progress/hints.json` (gitignored), so `make progress` can show "solved
without hints" or how many levels an exercise took.

Malformed files are errors that name file:line and the fix, never a silent
partial read: a wrong hints file would show a learner the wrong level.
"""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from tools.exercises import REPO_ROOT, Exercise

TITLE_RE = re.compile(r"^# Hints for commit (?P<commit>\d+\.\d+)\b")
SECTION_RE = re.compile(r"^## (?P<name>\S.*?)\s*$")
LEVEL_RE = re.compile(r"^### (?P<text>.*?)\s*$")
LEVEL_TEXT_RE = re.compile(r"^Level (?P<n>\d+)$")
FENCE_RE = re.compile(r"^\s*(```|~~~)")
STATE_ENV = "MNC_PROGRESS_DIR"  # where hints.json lives; tests point it at a tmp folder


class HintFormatError(ValueError):
    """A malformed hints file (duplicate section, levels out of order, an empty level, an unknown exercise)."""


@dataclass(frozen=True)
class HintSection:
    name: str
    line: int                 # 1-based line of the `## name` heading
    levels: tuple[str, ...]   # levels[0] is Level 1


def hints_dir(root: Path = REPO_ROOT) -> Path:
    return root / "tools" / "hints"


def hints_path(commit: str, root: Path = REPO_ROOT) -> Path:
    return hints_dir(root) / f"{commit}.md"


def parse_hints(path: Path, text: str | None = None) -> dict[str, HintSection]:
    """{exercise name: HintSection} of one hints file, in file order. Checks the form only
    (the names against the code: `check_names`)."""
    if text is None:
        text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    sections: dict[str, HintSection] = {}
    name, name_line = None, 0
    levels: list[list[str]] = []       # the current section's levels, as lines
    level_lines: list[int] = []        # the line of each `### Level n`
    in_fence = in_comment = False
    seen_title = False

    def where(lineno: int) -> str:
        return f"{path}:{lineno}"

    def close_section() -> None:
        if name is None:
            return
        if not levels:
            raise HintFormatError(f"{where(name_line)}: section '## {name}' has no '### Level 1'")
        texts = []
        for n, (body, at) in enumerate(zip(levels, level_lines), start=1):
            level_text = "\n".join(body).strip()
            if not level_text:
                raise HintFormatError(f"{where(at)}: '## {name}' Level {n} is empty; write the hint or "
                                      "remove the level")
            texts.append(level_text)
        sections[name] = HintSection(name, name_line, tuple(texts))

    for i, line in enumerate(lines, start=1):
        if in_comment:  # an HTML comment (the file's note to authors) is never shown
            in_comment = "-->" not in line
            continue
        if not in_fence and line.lstrip().startswith("<!--"):
            in_comment = "-->" not in line
            continue
        if FENCE_RE.match(line):
            in_fence = not in_fence
        elif not in_fence and line.startswith("#"):
            if TITLE_RE.match(line):
                if seen_title or name is not None:
                    raise HintFormatError(f"{where(i)}: a second title line; the file has one "
                                          "'# Hints for commit X.Y — title', at the top")
                commit = TITLE_RE.match(line)["commit"]
                if commit != path.stem:
                    raise HintFormatError(f"{where(i)}: the title names commit {commit} but the file is "
                                          f"{path.name}; hints for commit {commit} go in {commit}.md")
                seen_title = True
                continue
            if m := SECTION_RE.match(line):
                close_section()
                name, name_line, levels, level_lines = m["name"], i, [], []
                if not re.fullmatch(r"\w+", name):
                    raise HintFormatError(f"{where(i)}: '## {name}' is not an exercise name (one word, as "
                                          "on the '# >>> exercise' marker)")
                if name in sections:
                    raise HintFormatError(f"{where(i)}: a second '## {name}' section (the first is at line "
                                          f"{sections[name].line}); merge them")
                continue
            if m := LEVEL_RE.match(line):
                if name is None:
                    raise HintFormatError(f"{where(i)}: '{line.strip()}' before any '## <exercise>' section")
                level = LEVEL_TEXT_RE.match(m["text"])
                if not level:
                    raise HintFormatError(f"{where(i)}: '{line.strip()}' in '## {name}': level headings are "
                                          "exactly '### Level 1', '### Level 2', ...")
                expected = len(levels) + 1
                if int(level["n"]) != expected:
                    raise HintFormatError(f"{where(i)}: '## {name}' has Level {level['n']} where Level "
                                          f"{expected} comes next; number the levels 1, 2, 3 in order")
                levels.append([])
                level_lines.append(i)
                continue
            if not line.startswith("####"):  # '####' and deeper are prose headings inside a level
                raise HintFormatError(f"{where(i)}: unexpected heading '{line.strip()}'; a hints file has "
                                      "'# Hints for commit X.Y — title', '## <exercise>' and '### Level N' "
                                      "(code, comments included, goes in a ``` fence)")
        if levels:
            levels[-1].append(line)
        elif line.strip():
            what = f"in '## {name}' before its '### Level 1'" if name else "outside any '## <exercise>' section"
            raise HintFormatError(f"{where(i)}: text {what}: {line.strip()[:60]!r}")
    if in_fence:
        raise HintFormatError(f"{where(len(lines))}: a code fence (```) is never closed")
    if in_comment:
        raise HintFormatError(f"{where(len(lines))}: an HTML comment (<!--) is never closed")
    close_section()
    if not seen_title and lines:
        raise HintFormatError(f"{where(1)}: the file must start with '# Hints for commit {path.stem} — <title>'")
    return sections


def check_names(path: Path, sections: dict[str, HintSection], names: list[str]) -> None:
    """Every section names one of `names` (the commit's exercises), or a HintFormatError at its line."""
    for section in sections.values():
        if section.name not in names:
            raise HintFormatError(f"{path}:{section.line}: '## {section.name}' names no exercise of commit "
                                  f"{path.stem} (its exercises: {', '.join(names) or 'none'}); rename or "
                                  "remove the section")


def load_hints(commit: str, exercises: list[Exercise], root: Path = REPO_ROOT) -> dict[str, tuple[str, ...]]:
    """{exercise name: (level 1 text, level 2 text, ...)} for one commit; {} when it has no hints file.
    `exercises` are the course's exercises (any commits): a section must name one of this commit's."""
    path = hints_path(commit, root)
    if not path.exists():
        return {}
    sections = parse_hints(path)
    check_names(path, sections, [ex.name for ex in exercises if ex.commit == commit])
    return {name: section.levels for name, section in sections.items()}


# ---------------------------------------------------------------------------------------------
# Which levels a learner opened: {"version": 1, "opened": {"1.2 multi_head_attention": [1, 2]}}


def state_path(root: Path = REPO_ROOT) -> Path:
    folder = os.environ.get(STATE_ENV)
    return (Path(folder) if folder else root / ".mnc-progress") / "hints.json"


def read_opened(root: Path = REPO_ROOT) -> dict[str, list[int]]:
    """{'1.2 multi_head_attention': [1, 2]}: the levels each exercise's hints were opened at. A missing file is
    {}; an unreadable one is {} with a warning (the record is a convenience, never a blocker)."""
    path = state_path(root)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        opened = data["opened"]
        return {str(k): sorted({int(n) for n in v}) for k, v in opened.items()}
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        print(f"warning: ignoring {path} (cannot read it: {e}); the record of opened hints starts "
              "again", file=sys.stderr)
        return {}


def record_opened(opened_now: dict[str, list[int]], root: Path = REPO_ROOT) -> None:
    """Add these levels to the record, atomically (a reader sees the old file or the new, whole)."""
    from phase0_tokenizer.atomic import atomic_write_text
    opened = read_opened(root)
    for key, levels in opened_now.items():
        opened[key] = sorted(set(opened.get(key, [])) | set(levels))
    text = json.dumps({"version": 1, "opened": dict(sorted(opened.items()))}, indent=1) + "\n"
    atomic_write_text(state_path(root), text)
