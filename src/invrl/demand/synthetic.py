"""Seeded synthetic demand: Poisson, normal truncated at zero, negative binomial, discrete uniform,
gamma rounded to whole units.

Parameters may be scalars or tensors broadcastable to ``[sample, location]``,
so one batch can mix demand levels. Sampling happens on the CPU with an
explicit ``torch.Generator`` so a seed gives the same numbers on any device.
"""

from __future__ import annotations

import math

import torch

from invrl.demand.data import DemandData, Splits

DISTRIBUTIONS = ("poisson", "normal", "negative_binomial", "uniform", "gamma")
GAMMA_CLIP = 100
"""Rounded gamma demand is clipped to 0..GAMMA_CLIP (De Moor et al. 2022)."""


def _param(value, n_samples: int, n_locations: int) -> torch.Tensor:
    return torch.as_tensor(value, dtype=torch.float64).expand(n_samples, n_locations).clone()


def _truncated_normal(mean, std, shape, generator) -> torch.Tensor:
    """Normal conditioned on being >= 0, by inverse-CDF sampling (exact, no rejection loop)."""
    normal = torch.distributions.Normal(torch.zeros((), dtype=torch.float64), torch.ones((), dtype=torch.float64))
    lower = normal.cdf(-mean / std)
    u = torch.rand(shape, generator=generator, dtype=torch.float64)
    u = lower + u * (1.0 - lower)
    return (mean + std * normal.icdf(u.clamp(1e-12, 1 - 1e-12))).clamp_min(0.0)


def sample_demand(
    distribution: str,
    n_samples: int,
    n_periods: int,
    seed: int,
    *,
    mean=5.0,
    std=None,
    dispersion=None,
    n_locations: int = 1,
    correlation: float = 0.0,
    low=None,
    high=None,
    cv=None,
) -> DemandData:
    """``n_samples`` independent demand paths of ``n_periods`` periods.

    ``correlation`` (normal only) is the pairwise correlation across locations.
    ``uniform`` is discrete uniform on the integers ``low..high`` (its mean replaces ``mean``).
    ``gamma`` is Gamma with ``mean`` and coefficient of variation ``cv``, rounded to the nearest
    integer and clipped to 0..GAMMA_CLIP (so a DP can use its exact pmf).
    """
    if distribution not in DISTRIBUTIONS:
        raise ValueError(f"unknown demand distribution {distribution!r}; expected one of {DISTRIBUTIONS}")
    gen = torch.Generator().manual_seed(int(seed))
    if distribution == "uniform":
        if low is None or high is None:
            raise ValueError("uniform demand needs integer 'low' and 'high'")
        lo, hi = _param(low, n_samples, n_locations), _param(high, n_samples, n_locations)
        if (hi < lo).any():
            raise ValueError(f"uniform demand needs low <= high, got {low} and {high}")
        mean = (lo + hi) / 2
    mu = _param(mean, n_samples, n_locations)
    shape = (n_samples, n_locations, n_periods)
    mu3 = mu[..., None].expand(shape)
    params = {"mean": mu}
    if distribution == "poisson":
        demand = torch.poisson(mu3.contiguous(), generator=gen)
    elif distribution == "normal":
        if std is None:
            raise ValueError("normal demand needs 'std'")
        sigma = _param(std, n_samples, n_locations)
        params["std"] = sigma
        if correlation:
            # Gaussian copula: correlated uniforms, then the truncated-normal inverse CDF per location.
            cov = torch.full((n_locations, n_locations), float(correlation), dtype=torch.float64)
            cov.fill_diagonal_(1.0)
            z = torch.randn((n_samples, n_periods, n_locations), generator=gen, dtype=torch.float64)
            z = (z @ torch.linalg.cholesky(cov).T).transpose(1, 2)
            std_normal = torch.distributions.Normal(0.0, 1.0)
            u = std_normal.cdf(z)
            lower = std_normal.cdf(-mu / sigma)[..., None]
            u = lower + u * (1.0 - lower)
            demand = (mu3 + sigma[..., None] * std_normal.icdf(u.clamp(1e-12, 1 - 1e-12))).clamp_min(0.0)
        else:
            demand = _truncated_normal(mu3, sigma[..., None].expand(shape), shape, gen)
    elif distribution == "gamma":
        if cv is None:
            raise ValueError("gamma demand needs 'cv' (the coefficient of variation)")
        c = _param(cv, n_samples, n_locations)
        params["cv"] = c
        shape_k = (1.0 / c**2)[..., None].expand(shape).contiguous()
        draw = torch._standard_gamma(shape_k, generator=gen) * (mu3 / shape_k)
        demand = torch.round(draw).clamp(0.0, GAMMA_CLIP)
    elif distribution == "uniform":
        params.update(low=lo, high=hi)
        u = torch.rand(shape, generator=gen, dtype=torch.float64)
        demand = lo[..., None] + torch.floor(u * (hi - lo + 1)[..., None]).clamp_max((hi - lo)[..., None])
    else:
        if dispersion is None:
            raise ValueError("negative_binomial demand needs 'dispersion' (the number of failures r)")
        r = _param(dispersion, n_samples, n_locations)
        params["dispersion"] = r
        rate = torch._standard_gamma((r[..., None].expand(shape)).contiguous(), generator=gen) * (mu3 / r[..., None])
        demand = torch.poisson(rate, generator=gen)  # gamma-Poisson mixture = negative binomial
    return DemandData(
        demand=demand.float(),
        sample_params={k: v.float() for k, v in params.items()},
        meta={"distribution": distribution, "seed": int(seed)},
    )


def sample_splits(distribution: str, sizes: dict[str, tuple[int, int]], seed: int, **params) -> Splits:
    """Train/dev/test splits by sample, each from its own seed derived from ``seed``.

    ``sizes`` maps split name to ``(n_samples, n_periods)``.
    """
    return Splits(**{
        name: sample_split(distribution, name, n, t, seed, **params) for name, (n, t) in sizes.items()
    })


SPLIT_OFFSETS = {"train": 0, "dev": 1, "test": 2, "search": 3}


def sample_split(distribution: str, split: str, n_samples: int, n_periods: int, seed: int, **params) -> DemandData:
    """One split; each split draws from its own stream so that sizes never shift another split's numbers."""
    return sample_demand(distribution, n_samples, n_periods, seed=seed * 1000 + SPLIT_OFFSETS[split], **params)


def truncated_normal_moments(mean: float, std: float) -> tuple[float, float]:
    """Mean and standard deviation of N(mean, std^2) conditioned on >= 0."""
    a = -mean / std
    phi = math.exp(-0.5 * a * a) / math.sqrt(2 * math.pi)
    tail = 0.5 * math.erfc(a / math.sqrt(2))
    lam = phi / tail
    m = mean + std * lam
    v = std**2 * (1 + a * lam - lam**2)
    return m, math.sqrt(v)


def demand_mean(law: dict) -> float:
    """The mean of the simulated law (normal is truncated at zero, which raises its mean)."""
    if law["distribution"] == "normal":
        return truncated_normal_moments(law["mean"], law["std"])[0]
    if law["distribution"] == "uniform":
        return (law["low"] + law["high"]) / 2
    return float(law["mean"])
