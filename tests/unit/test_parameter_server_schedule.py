"""--max-steps under ParameterServerStrategy, which stops only at an epoch's end."""

import pytest

from train.tensorflow.parameter_server import fit_schedule


@pytest.mark.parametrize("total, per_epoch, expected", [
    (500, 100, (5, 100)),     # no --max-steps: the epochs as asked
    (4, 100, (1, 4)),         # shorter than one epoch: one short epoch
    (150, 100, (2, 75)),      # across epochs: equal ones, exactly the total
    (151, 100, (2, 76)),      # not divisible: one step over, never under
    (1, 1, (1, 1)),
])
def test_epochs_of_equal_length_reach_the_total(total, per_epoch, expected):
    epochs, steps = fit_schedule(total, per_epoch)
    assert (epochs, steps) == expected
    assert total <= epochs * steps < total + epochs and steps <= per_epoch
