import numpy as np
import pytest

from corridor.privacy import InvalidJobSpec
from corridor.privacy.dp import (
    epsilon_for,
    gaussian_release,
    laplace_release,
    rho_for,
    suppress_small_cells,
)


def test_discrete_laplace_keeps_counts_integral():
    noisy = laplace_release([10, 200, 3000], l1_sensitivity=1, epsilon=1.0, integer=True)
    assert np.all(noisy == np.round(noisy))


def test_laplace_noise_has_the_calibrated_scale():
    noisy = laplace_release(np.zeros(4000), l1_sensitivity=2.0, epsilon=0.5, integer=False)
    # Laplace(b) has mean absolute deviation b = sensitivity / epsilon = 4.
    assert 3.6 < float(np.mean(np.abs(noisy))) < 4.4


def test_gaussian_noise_has_the_zcdp_scale():
    noisy = gaussian_release(np.zeros(4000), l2_sensitivity=1.0, rho=0.125)
    assert 1.9 < float(np.std(noisy)) < 2.1  # scale = 1 / sqrt(2 * 0.125) = 2


def test_rho_and_epsilon_conversions_are_inverse():
    rho = rho_for(3.0, 1e-5)
    assert epsilon_for(rho, 1e-5) == pytest.approx(3.0)


def test_small_cells_are_withheld_and_named():
    kept = suppress_small_cells([12.0, 4.0, 10.0, -1.0], threshold=10)
    assert kept.values == [12.0, None, 10.0, None]
    assert kept.suppressed == [1, 3]


def test_non_positive_budgets_are_refused():
    with pytest.raises(InvalidJobSpec):
        laplace_release([1.0], l1_sensitivity=1.0, epsilon=0.0, integer=False)
