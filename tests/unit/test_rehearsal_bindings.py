"""${{inputs.x}} / ${{outputs.x}} / $[[...]] replaced as Azure replaces them."""

import pytest

from submit.errors import SubmitError
from submit.rehearsal.bindings import bind


def test_inputs_and_outputs_become_their_values():
    command = "python t.py --epochs ${{inputs.epochs}} --data ${{ inputs.data }} --out ${{outputs.model}}"
    assert bind(command, {"epochs": "3", "data": "/mnt/d"}, {"model": "/mnt/m"}) == (
        "python t.py --epochs 3 --data /mnt/d --out /mnt/m")


def test_an_optional_section_is_kept_only_when_its_input_is_given():
    command = "python t.py $[[--lr ${{inputs.lr}}]] $[[--seed ${{inputs.seed}}]]"
    assert bind(command, {"lr": "0.1", "seed": None}, {}).split() == ["python", "t.py", "--lr", "0.1"]


def test_an_undeclared_input_is_named_with_the_declared_ones():
    with pytest.raises(SubmitError, match=r"\$\{\{inputs\.epoch\}\}, but the job declares no such input "
                                          r"\(its inputs: epochs\)"):
        bind("python t.py --epochs ${{inputs.epoch}}", {"epochs": "3"}, {})
