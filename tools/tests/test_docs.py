"""Docs are part of the product: ADR index complete, paper code maps point at real code,
reading lists exist, every phase has its README."""

import importlib
import re
from pathlib import Path

import pytest

from tools.curriculum import COMMITS
from tools.exercises import REPO_ROOT, find_exercises, phase_packages

SCRIPT_RE = r"python3? ((?:tools|bench|examples|checkpoints_exercises|phase\d\w*)/[\w/]+\.py)"
CODE_REF_RE = re.compile(r"`((?:phase\d_\w+|tools)(?:\.\w+)+)::([A-Za-z_][\w.]*)`")


def all_adrs() -> list[Path]:
    return sorted(REPO_ROOT.glob("phase*/adrs/*.md")) + sorted(REPO_ROOT.glob("docs/adrs/[0-9]*.md"))


def test_adr_index_lists_every_adr_and_every_link_resolves():
    index_path = REPO_ROOT / "docs/adrs/README.md"
    index = index_path.read_text(encoding="utf-8")
    for adr in all_adrs():
        assert adr.relative_to(REPO_ROOT).as_posix().split("/", 1)[-1] in index or adr.name in index, \
            f"{adr.relative_to(REPO_ROOT)} is missing from docs/adrs/README.md"
    for link in re.findall(r"\]\(([^)#]+\.md)\)", index):
        assert (index_path.parent / link).resolve().exists(), f"docs/adrs/README.md links to missing {link}"


def test_adr_numbers_are_unique_across_the_course():
    numbers = [adr.name[:3] for adr in all_adrs()]
    assert len(numbers) == len(set(numbers)), f"duplicate ADR numbers: {sorted(numbers)}"


def paper_code_refs():
    for paper in sorted(REPO_ROOT.glob("docs/papers/*.md")):
        for module, attr in CODE_REF_RE.findall(paper.read_text(encoding="utf-8")):
            yield pytest.param(module, attr, id=f"{paper.stem}:{module}::{attr}")


@pytest.mark.parametrize("module, attr", list(paper_code_refs()))
def test_every_code_reference_in_the_paper_summaries_exists(module, attr):
    obj = importlib.import_module(module)
    for part in attr.split("."):
        assert hasattr(obj, part), f"{module}::{attr} does not exist (fix the paper's code map)"
        obj = getattr(obj, part)


def test_reading_lists_of_written_commits_exist():
    written = {ex.commit for ex in find_exercises()}
    for commit in written:
        for path in COMMITS[commit].read:
            assert (REPO_ROOT / path).exists(), f"tools/curriculum.py: commit {commit} reads missing {path}"


def test_every_commit_with_exercises_is_in_the_curriculum():
    assert {ex.commit for ex in find_exercises()} <= set(COMMITS)


def test_every_phase_has_a_readme_and_every_doc_link_resolves():
    for pkg in phase_packages():
        assert (pkg / "README.md").exists(), f"{pkg.name}/README.md is missing"
    for doc in [REPO_ROOT / "README.md", *REPO_ROOT.glob("phase*/README.md"), *REPO_ROOT.glob("docs/**/*.md")]:
        for link in re.findall(r"\]\(([^)#:]+)\)", doc.read_text(encoding="utf-8")):
            assert (doc.parent / link).resolve().exists(), f"{doc.relative_to(REPO_ROOT)} links to missing {link}"


def test_every_make_target_a_doc_shows_exists():
    makefile = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-zA-Z0-9_.%-]+):", makefile, re.M))
    docs = [REPO_ROOT / "README.md", *REPO_ROOT.glob("phase*/README.md"), *REPO_ROOT.glob("docs/**/*.md"),
            *REPO_ROOT.glob("checkpoints_exercises/**/*.md")]
    for doc in docs:
        for target in re.findall(r"`make ([a-z][\w.-]*)", doc.read_text(encoding="utf-8")):
            ok = target in targets or any(t.endswith("%") and target.startswith(t[:-1]) for t in targets)
            assert ok, f"{doc.relative_to(REPO_ROOT)} shows `make {target}`, which the Makefile lacks"


def test_every_python_command_a_doc_shows_names_a_module_or_script_that_exists():
    import importlib.util
    docs = [REPO_ROOT / "README.md", *REPO_ROOT.glob("phase*/README.md"), *REPO_ROOT.glob("docs/**/*.md"),
            *REPO_ROOT.glob("checkpoints_exercises/**/*.md"), *REPO_ROOT.glob("bench/*.md")]
    for doc in docs:
        text = doc.read_text(encoding="utf-8")
        for module in re.findall(r"python3? -m ([\w.]+)", text):
            assert importlib.util.find_spec(module) is not None, \
                f"{doc.relative_to(REPO_ROOT)} shows `python -m {module}`, which does not exist"
        for script in re.findall(SCRIPT_RE, text):
            assert (REPO_ROOT / script).exists(), \
                f"{doc.relative_to(REPO_ROOT)} shows `python {script}`, which is missing"
