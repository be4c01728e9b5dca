"""`make gpu-check` on CPU: the dry version runs every part end to end on tiny shapes (the CI smoke test)."""

import pytest


@pytest.mark.commit("4.3")
@pytest.mark.slow
def test_gpu_check_dry_run_passes_every_part_with_one_line_each(tmp_path, capsys):
    from phase4_distributed.gpu_check import PARTS, main
    assert main(["--dry", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    lines = [line.split() for line in out.splitlines() if line.startswith("  ")]
    assert [(words[0], words[1]) for words in lines] == [(part, "PASS") for part in PARTS]
    assert f"{len(PARTS)}/{len(PARTS)} parts passed" in out


@pytest.mark.commit("4.3")
def test_gpu_check_refuses_to_run_the_real_check_without_a_gpu(capsys):
    import torch
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    from phase4_distributed.gpu_check import main
    assert main([]) == 2 and "--dry" in capsys.readouterr().err
