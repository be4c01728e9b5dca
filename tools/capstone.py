"""The capstone: the demo (or the speedrun) trained end to end by the learner's own code.

    python -m tools.capstone demo [demo flags...]       # make demo IMPL=learner
    python -m tools.capstone speedrun [flags...]        # make speedrun IMPL=learner

With every exercise written, `make demo IMPL=learner` runs phase2_training.demo
exactly as `make demo` does, but every reference module that holds exercises
(`phase0_tokenizer.bpe_fast`, `phase1_model.gpt`, `phase2_training.loss`,
`phase3_optim.adam`, ...) is loaded from the learner's file in `exercises/`:
the tokenizer, the model, the loss, the loop's pieces and the optimizer are all
the learner's, and the val bits per byte should land where the reference run's
does (same seed, same config). Before that, it refuses and lists the exercises
still left as stubs.

Why a meta-path finder, not `load_impl`: the stubs import their siblings from the
REFERENCE package (`from phase1_model.block import Block`), and phases 2-4 only
ever import reference names (`from phase1_model import GPT`). Loading the
learner's gpt.py by hand would still build the reference Block inside it. A
finder placed first in `sys.meta_path` answers the import of the NAME
`phase1_model.block` with the learner's FILE `phase1_model/exercises/block.py`,
so every import of that name anywhere (the stubs' own imports, the packages'
`__init__` re-exports, the trainer's) gets the learner's code, and no file of
the course changes. It must be installed before any phase module is imported.

Two choices make the run the learner's all the way:
- the demo's phase-2 entry builds torch's AdamW; the capstone hands the demo phase 3's
  composition root instead (`phase3_optim.train.build_trainer`: the course's AdamW and
  parameter groups, i.e. the learner's 3.1), a swap of one name;
- MNC_FUSED=0: the fused optimizer step is the course's compiled copy of the update
  (phase3_optim/fused.py), not the learner's `adam_update`, so the eager one runs.
Where multiprocessing *spawns* workers (macOS, Windows), BPE's chunk counting runs in
fresh interpreters that import the reference; that counting holds no exercise.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import os
import shutil
import sys
from pathlib import Path

from tools.exercises import REPO_ROOT, Exercise, find_exercises
from tools.impl import is_todo

# entry -> (module whose main(argv) runs it, default --out for the learner's run, reference figure)
ENTRIES = {
    "demo": ("phase2_training.demo", "runs/demo_learner",
             "`make demo` on the default config: 1.537 val bits/byte (README.md, 2 cores)"),
    "speedrun": ("phase3_optim.speedrun", "runs/speedrun_learner",
                 "`make speedrun`: the leaderboard in docs/speedrun.md (a wall-clock race: load moves it)"),
}


def missing_exercises(exercises: list[Exercise] | None = None) -> list[Exercise]:
    """Exercises the learner has not written: the stub body untouched (tools.impl.is_todo), or
    its `raise NotImplementedError("exercise ...")` still in the file."""
    exercises = find_exercises() if exercises is None else exercises
    missing = []
    for ex in exercises:
        text = ex.stub_path.read_text(encoding="utf-8") if ex.stub_path.exists() else ""
        if is_todo(ex) or f'NotImplementedError("exercise {ex.key}")' in text:
            missing.append(ex)
    return missing


def unlocked_message(all_pass: bool) -> str:
    """The line `make progress` ends with (tools/progress.py)."""
    if all_pass:
        return "Capstone unlocked: make demo IMPL=learner (the demo trained by your own code)"
    return "Capstone: make demo IMPL=learner trains the demo on your code once every exercise passes"


class LearnerFinder(importlib.abc.MetaPathFinder):
    """Import reference module names from the learner's stub files: `phase1_model.gpt` is
    `phase1_model/exercises/gpt.py`, loaded under the name `phase1_model.gpt`."""

    def __init__(self, files: dict[str, Path]):
        self.files = files

    def find_spec(self, fullname, path=None, target=None):
        file = self.files.get(fullname)
        return importlib.util.spec_from_file_location(fullname, file) if file else None


def install_redirect(exercises: list[Exercise]) -> LearnerFinder:
    files = {ex.module: ex.stub_path for ex in exercises}
    early = sorted(name for name in files if name in sys.modules)
    if early:  # they would stay the reference: the finder only sees imports yet to happen
        raise RuntimeError(f"already imported before the redirect: {', '.join(early)}")
    finder = LearnerFinder(files)
    sys.meta_path.insert(0, finder)
    return finder


def _flag_value(args: list[str], *names: str) -> str | None:
    """The value of --name=value or --name value in args (the last one wins), else None."""
    value = None
    for i, arg in enumerate(args):
        for name in names:
            if arg.startswith(f"{name}="):
                value = arg.split("=", 1)[1]
            elif arg == name and i + 1 < len(args):
                value = args[i + 1]
    return value


def entry_args(entry: str, args: list[str]) -> tuple[list[str], Path | None]:
    """(the entry's flags, a data folder to rebuild). The learner's run is kept apart from the
    reference's: its own out folder, and for the demo its data built afresh by the learner's
    tokenizer in <out>/data (a cache from an earlier version of their code would hide a change)."""
    args = list(args)
    if _flag_value(args, "--model.primitives") is None:
        # the model built from the learner's own layers: Linear, embedding, norms, activations,
        # softmax, attention (phase 1's manual path, equal to the torch path to float round-off)
        args.append("--model.primitives=manual")
    out = _flag_value(args, "--out", "--out_dir")
    if out is None:
        out = ENTRIES[entry][1]
        args += ["--out", out] if entry == "demo" else [f"--out_dir={out}"]
    if entry != "demo" or _flag_value(args, "--data_root") is not None:
        return args, None  # the speedrun builds its data afresh itself
    data = Path(out) / "data"
    return args + [f"--data_root={data}"], data


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in ENTRIES:
        print(f"usage: python -m tools.capstone {{{','.join(ENTRIES)}}} [flags of that entry...]", file=sys.stderr)
        return 2
    entry, args = argv[0], argv[1:]
    exercises = find_exercises()
    missing = missing_exercises(exercises)
    if missing:
        print(f"The capstone runs on your own code, and {len(missing)} of {len(exercises)} exercises "
              "are still stubs:")
        by_file: dict[tuple[str, Path], list[str]] = {}
        for ex in missing:
            by_file.setdefault((ex.commit, ex.stub_path), []).append(ex.name)
        for (commit, path), names in by_file.items():
            print(f"  {commit}  {path.relative_to(REPO_ROOT).as_posix()}: {', '.join(names)}")
        print("Write them, then run `make progress`: when every exercise passes, it says the capstone is "
              "unlocked. (`make demo` runs the reference meanwhile.)")
        return 2
    args, own_data = entry_args(entry, args)
    if own_data is not None:
        shutil.rmtree(own_data, ignore_errors=True)  # only the capstone's own data folder
    os.environ["MNC_FUSED"] = "0"  # the learner's eager AdamW update, not the course's compiled copy
    finder = install_redirect(exercises)
    import phase2_training.train
    import phase3_optim.train
    phase2_training.train.build_trainer = phase3_optim.train.build_trainer  # the learner's optimizer too
    module = importlib.import_module(ENTRIES[entry][0])
    status = module.main(args)
    if status != 0:
        return status
    ran: dict[str, list[str]] = {}
    for name in sorted(n for n in sys.modules if n in finder.files):
        package, _, leaf = name.partition(".")
        ran.setdefault(package, []).append(leaf)
    print(f"\nThat was YOUR code: {sum(map(len, ran.values()))} of your files in exercises/ were loaded in "
          "place of the reference: " + "; ".join(f"{p}: {', '.join(leaves)}" for p, leaves in ran.items()) + ".")
    print(f"Compare with the reference: {ENTRIES[entry][2]}; with other flags, run "
          f"`python -m {ENTRIES[entry][0]}` with the same flags.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
