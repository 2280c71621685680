"""Shared check of a simulator's pathwise gradient: open-loop orders, autograd against central differences."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from invrl.demand.data import DemandData
from invrl.rollout import rollout


def as_float64(system):
    """The system with its per-sample parameters in float64 (finite differences need the precision)."""
    for name in system.per_sample:
        setattr(system, name, getattr(system, name).double())
    return system


def check_open_loop_gradient(system, demand: DemandData, planned: torch.Tensor, checks: int,
                             generator: torch.Generator) -> torch.Tensor:
    """Assert that d(total cost)/d(order) by autograd equals a central difference on ``checks`` random
    entries of the float64 plan ``planned`` ``[T, B, ...]`` (one action per period); return the gradient."""
    planned = planned.clone().requires_grad_()

    class OpenLoop(nn.Module):
        def forward(self, obs):
            return planned[obs.period]

    def total(values):
        with torch.no_grad():
            planned.copy_(values)
        return rollout(system, OpenLoop(), demand).cost.sum()

    base = planned.detach().clone()
    (grad,) = torch.autograd.grad(total(base), planned)
    eps = 1e-6
    for flat in torch.randperm(base.numel(), generator=generator)[:checks].tolist():
        step = torch.zeros_like(base).view(-1)
        step[flat] = eps
        step = step.view_as(base)
        with torch.no_grad():
            fd = (total(base + step) - total(base - step)) / (2 * eps)
        assert float(grad.view(-1)[flat]) == pytest.approx(float(fd), abs=1e-5 * max(1.0, abs(float(fd))))
    return grad
