import math

import pytest
import torch

from invrl.demand.synthetic import sample_demand, sample_split, truncated_normal_moments


def test_same_seed_same_numbers_and_splits_independent_of_sizes():
    a = sample_demand("poisson", 100, 20, seed=7).demand
    b = sample_demand("poisson", 100, 20, seed=7).demand
    assert torch.equal(a, b)
    # enlarging the test split never changes the dev split
    dev = sample_split("poisson", "dev", 50, 10, seed=3).demand
    assert not torch.equal(dev, sample_split("poisson", "test", 50, 10, seed=3).demand)
    assert torch.equal(dev, sample_split("poisson", "dev", 50, 10, seed=3).demand)


@pytest.mark.parametrize("mean,std", [(5.0, 1.6), (2.0, 2.0)])
def test_truncated_normal_matches_its_moments(mean, std):
    d = sample_demand("normal", 4000, 100, seed=1, mean=mean, std=std).demand.double()
    m, s = truncated_normal_moments(mean, std)
    assert (d >= 0).all()
    assert abs(d.mean().item() - m) < 4 * s / math.sqrt(d.numel())
    assert abs(d.std().item() - s) < 0.01 * s


def test_negative_binomial_mean_and_variance():
    d = sample_demand("negative_binomial", 4000, 100, seed=2, mean=5.0, dispersion=2.0).demand.double()
    assert abs(d.mean().item() - 5.0) < 0.03
    assert abs(d.var().item() - (5.0 + 25.0 / 2.0)) < 0.3


def test_correlated_normal_has_the_requested_correlation():
    d = sample_demand("normal", 20000, 4, seed=3, mean=10.0, std=2.0, n_locations=3, correlation=0.5).demand
    x = d[:, :, 0].double()
    c = torch.corrcoef(x.T)
    assert abs(c[0, 1].item() - 0.5) < 0.03 and abs(c[1, 2].item() - 0.5) < 0.03


def test_per_sample_means():
    mean = torch.tensor([1.0, 10.0])
    d = sample_demand("poisson", 2, 20000, seed=4, mean=mean[:, None]).demand
    assert abs(d[0].mean().item() - 1.0) < 0.05 and abs(d[1].mean().item() - 10.0) < 0.15


def test_unknown_distribution_is_named():
    with pytest.raises(ValueError, match="gamma"):
        sample_demand("gamma", 2, 2, seed=0)
