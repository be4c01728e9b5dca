"""What a Python code base contains, and which of its pieces correspond to another's.

`load_source(path)` parses one file or every `.py` file under a folder into a
`Source`: its definitions (classes with their methods, top-level functions),
sizes, and detected architecture features (see `features.py`).
`match_definitions(ours, theirs)` pairs definitions across two sources:

  1. exact name (class with class, function with function), then
  2. similarity: 0.6 * name similarity + 0.4 * body similarity, where body
     similarity compares the sequences of AST node types of the two bodies
     (difflib ratio), so `CausalSelfAttention` ~ `SelfAttention` and a renamed
     function with the same body still pair up. Pairs below `threshold` stay
     unmatched.

Methods of a matched class pair are matched the same way, one level down.
Only the standard library is used; nothing is imported or executed.
"""

from __future__ import annotations

import ast
import difflib
from dataclasses import dataclass, field
from pathlib import Path

from tools.comparator.features import FEATURE_KEYS, Evidence, detect_features

SKIP_DIRS = {".git", "__pycache__", ".venv", "venv", "node_modules", "build", "dist", ".eggs"}
# Left out of a folder by default: tests, and this course's generated learner stubs (copies of the code).
DEFAULT_EXCLUDE = ("tests", "test", "exercises")
_BODY_CAP = 300  # node types compared per body: enough to tell bodies apart, cheap enough for big folders


@dataclass
class Definition:
    kind: str                  # "class" | "function" | "method"
    name: str
    file: str                  # path relative to the source root
    line: int
    lines: int                 # source lines, decorators to last line
    shape: tuple[str, ...]     # AST node types of the body, for similarity
    bases: list[str] = field(default_factory=list)
    children: list[Definition] = field(default_factory=list)   # methods of a class


@dataclass
class Source:
    root: Path
    files: list[str]
    total_lines: int
    code_lines: int            # non-blank, non-comment lines
    definitions: list[Definition]
    features: dict[str, list[Evidence]]
    errors: list[str]          # files that did not parse

    @property
    def n_classes(self) -> int:
        return sum(d.kind == "class" for d in self.definitions)

    @property
    def n_functions(self) -> int:
        return sum(d.kind == "function" for d in self.definitions) + sum(
            len(d.children) for d in self.definitions)


@dataclass
class Match:
    ours: Definition | None
    theirs: Definition | None
    how: str                   # "name" | "similar" | "" (one side only)
    score: float
    children: list[Match] = field(default_factory=list)


def _shape(node: ast.AST) -> tuple[str, ...]:
    out = []
    for child in ast.walk(node):
        out.append(type(child).__name__)
        if len(out) >= _BODY_CAP:
            break
    return tuple(out[1:])


def _definition(node, kind: str, file: str) -> Definition:
    start = min([node.lineno] + [d.lineno for d in node.decorator_list])
    d = Definition(kind, node.name, file, node.lineno, node.end_lineno - start + 1, _shape(node))
    if isinstance(node, ast.ClassDef):
        d.bases = [ast.unparse(b) for b in node.bases]
        d.children = [_definition(n, "method", file) for n in node.body
                      if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    return d


def _python_files(path: Path, exclude) -> list[Path]:
    if path.is_file():
        return [path]
    skip = SKIP_DIRS | set(exclude)
    return sorted(p for p in path.rglob("*.py")
                  if not skip.intersection(p.relative_to(path).parts[:-1])
                  and not (("tests" in exclude or "test" in exclude) and p.name.startswith("test_")))


def load_source(path: str | Path, exclude=DEFAULT_EXCLUDE) -> Source:
    """Parse a Python file, or every .py file under a folder except those in `exclude`d sub-folders
    (and test_*.py files while tests are excluded). Raises FileNotFoundError / ValueError with the fix."""
    root = Path(path)
    if not root.exists():
        raise FileNotFoundError(f"{root}: no such file or folder; give a .py file or a folder of Python sources")
    if root.is_file() and root.suffix != ".py":
        raise ValueError(f"{root}: not a .py file; give a Python source file or a folder")
    files = _python_files(root, exclude)
    if not files:
        raise ValueError(f"{root}: no .py files found under this folder")
    base = root.parent if root.is_file() else root
    src = Source(root, [], 0, 0, [], {k: [] for k in FEATURE_KEYS}, [])
    for file in files:
        rel = file.relative_to(base).as_posix()
        text = file.read_text(encoding="utf-8", errors="replace")
        src.files.append(rel)
        lines = text.splitlines()
        src.total_lines += len(lines)
        src.code_lines += sum(1 for s in lines if s.strip() and not s.strip().startswith("#"))
        try:
            tree = ast.parse(text, filename=str(file))
        except SyntaxError as e:
            src.errors.append(f"{rel}:{e.lineno}: {e.msg}")
            continue
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                src.definitions.append(_definition(node, "class", rel))
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                src.definitions.append(_definition(node, "function", rel))
        for key, evidence in detect_features(tree, rel).items():
            src.features[key] += evidence
    for evidence in src.features.values():  # __init__.py re-exports last: point at the code, not the export
        evidence.sort(key=lambda e: (Path(e.file).name == "__init__.py", e.file, e.line))
    return src


def name_similarity(a: str, b: str) -> float:
    """difflib ratio of the names without case and underscores; one name inside the other
    (`MLP` in `ReLU2MLP`, `norm` in `rms_norm`) counts at least 0.7."""
    a, b = a.lower().replace("_", "").strip(), b.lower().replace("_", "").strip()
    ratio = difflib.SequenceMatcher(None, a, b).ratio()
    if min(len(a), len(b)) >= 3 and (a in b or b in a):
        ratio = max(ratio, 0.7)
    return ratio


def body_similarity(a: Definition, b: Definition) -> float:
    sm = difflib.SequenceMatcher(None, a.shape, b.shape, autojunk=False)
    if sm.real_quick_ratio() < 0.5 or sm.quick_ratio() < 0.5:
        return 0.0  # cheap upper bounds already say "different"
    return sm.ratio()


def similarity(a: Definition, b: Definition) -> float:
    return 0.6 * name_similarity(a.name, b.name) + 0.4 * body_similarity(a, b)


def _kind_group(d: Definition) -> str:
    return "class" if d.kind == "class" else "function"


def match_definitions(ours: list[Definition], theirs: list[Definition], threshold: float = 0.6) -> list[Match]:
    """Pair definitions by exact name, then by similarity >= threshold; unpaired ones come out one-sided."""
    pairs: dict[int, tuple[int, str, float]] = {}   # index in ours -> (index in theirs, how, score)
    used: set[int] = set()
    # 1. exact names; among duplicates (same name in several files) the most similar bodies pair first
    exact = sorted(((similarity(a, b), i, j) for i, a in enumerate(ours) for j, b in enumerate(theirs)
                    if a.name == b.name and _kind_group(a) == _kind_group(b)), reverse=True)
    for score, i, j in exact:
        if i not in pairs and j not in used:
            pairs[i] = (j, "name", score)
            used.add(j)
    # 2. similarity among the rest
    candidates = []
    for i, a in enumerate(ours):
        if i in pairs:
            continue
        for j, b in enumerate(theirs):
            if j in used or _kind_group(a) != _kind_group(b):
                continue
            if name_similarity(a.name, b.name) < 0.3 and min(a.lines, b.lines) < 5:
                continue  # tiny bodies with unrelated names: body shape alone means nothing
            score = similarity(a, b)
            if score >= threshold:
                candidates.append((score, i, j))
    for score, i, j in sorted(candidates, reverse=True):
        if i not in pairs and j not in used:
            pairs[i] = (j, "similar", score)
            used.add(j)
    out = []
    for i, a in enumerate(ours):
        if i in pairs:
            j, how, score = pairs[i]
            m = Match(a, theirs[j], how, score)
            if a.kind == "class":
                m.children = match_definitions(a.children, theirs[j].children, threshold)
            out.append(m)
        else:
            out.append(Match(a, None, "", 0.0))
    out += [Match(None, b, "", 0.0) for j, b in enumerate(theirs) if j not in used]
    return out
