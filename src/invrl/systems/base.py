"""The System contract shared by every problem family.

A System is one problem instance (costs, lead times, topology) whose
parameters are tensors shaped ``[S or 1, N]``: a leading dimension of 1 is
shared by all samples, a leading dimension ``S`` gives each sample its own
value, and ``select`` follows a minibatch of sample indices. ``step`` is
differentiable almost everywhere, so HDPO can backpropagate through a whole
trajectory, and it never synchronises with the host: feasibility violations
are counted into a tensor that ``rollout`` checks once at the end.
"""

from __future__ import annotations

import copy
from abc import ABC, abstractmethod
from dataclasses import dataclass, fields, replace

import torch


def action_pair(first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
    """The action of a system with two decisions per location, from each ``[B, N]``: ``[B, 2]`` for
    one location, ``[B, N, 2]`` for several (dual sourcing's two orders, an order and a removal)."""
    pair = torch.stack([first, second], dim=-1)
    return pair[:, 0] if pair.shape[1] == 1 else pair


def as_param(value, n_locations: int, dtype=torch.float32) -> torch.Tensor:
    """A scalar, ``[N]``, ``[S]`` or ``[S, N]`` value as a ``[S or 1, N]`` tensor."""
    t = torch.as_tensor(value, dtype=dtype)
    if t.dim() == 0:
        t = t.expand(1, n_locations)
    elif t.dim() == 1:
        t = t[None, :] if t.shape[0] == n_locations and n_locations > 1 else t[:, None]
    return t.expand(t.shape[0], n_locations).clone()


def serve(stock: torch.Tensor, demand: torch.Tensor, lost_sales: bool) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Serve ``demand`` from ``stock`` (negative: backorders): (stock left, sales, unmet demand).

    Lost sales: what stock cannot cover is lost and the stock stays >= 0. Backlog: the shortfall
    is carried as negative stock, and the backorders at the end of the period are the unmet
    demand charged. The one place every system's physics of a sale is written.
    """
    if lost_sales:
        sales = torch.minimum(stock, demand)
        return stock - sales, sales, demand - sales
    left = stock - demand
    return left, torch.minimum(stock.clamp_min(0.0), demand), (-left).clamp_min(0.0)


@dataclass
class State:
    """Base class for batch-first tensor states; subclasses add fields."""

    def map(self, fn) -> State:
        return replace(self, **{f.name: fn(getattr(self, f.name)) for f in fields(self)})


@dataclass
class Observation:
    """What a policy sees at the start of a period, before it acts."""

    state: State
    system: System
    period: int
    features: torch.Tensor | None = None
    """Exogenous features of this period ``[B, N, F]`` (history, calendar), if the data has them."""


class Pipeline:
    """Orders in transit with per-sample lead times.

    ``pipeline[..., k]`` holds the units due at the start of period ``t + k``.
    An order placed at the start of period t with lead time L joins slot L;
    L = 0 delivers at once. The slot is chosen by a one-hot mask, so mixed
    lead times in one batch cost no gather and no host sync.
    """

    def __init__(self, lead_time: torch.Tensor):
        self.lead_time = lead_time.long()
        self.max_lead_time = int(self.lead_time.max())
        self.slot = torch.nn.functional.one_hot(self.lead_time, self.max_lead_time + 1).float()

    def select(self, index) -> Pipeline:
        return Pipeline(self.lead_time[index] if self.lead_time.shape[0] > 1 else self.lead_time)

    def to(self, device) -> Pipeline:
        p = Pipeline.__new__(Pipeline)
        p.lead_time, p.max_lead_time, p.slot = self.lead_time.to(device), self.max_lead_time, self.slot.to(device)
        return p

    def advance(self, pipeline: torch.Tensor, order: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Add ``order`` ``[B, N]`` at its lead time; return (arrivals now, pipeline for t+1)."""
        buffer = torch.nn.functional.pad(pipeline, (0, 1)) + order[..., None] * self.slot
        return buffer[..., 0], buffer[..., 1:]


class System(ABC):
    """One problem instance: dynamics and costs, batched over samples."""

    n_locations: int
    """Locations with a state of their own (the second axis of ``cost``)."""
    n_stores: int
    """Locations facing demand; costs are reported per period per store."""

    @abstractmethod
    def initial_state(self, batch: int) -> State:
        """The state at the start of the first period for ``batch`` samples."""

    @abstractmethod
    def step(self, state: State, action, demand: torch.Tensor) -> tuple[State, torch.Tensor, dict]:
        """One period: place ``action``, receive, serve ``demand`` ``[B, N]``.

        Returns the next state, the cost ``[B, N]`` per location and an info
        dict of flows (at least ``arrivals``, ``sales``, ``unmet``) and
        ``violation``, a tensor counting infeasible units in the action.
        """

    per_sample: tuple[str, ...] = ()
    """Names of ``[S or 1, ...]`` parameter tensors that follow ``select``."""
    shared: tuple[str, ...] = ()
    """Names of other tensors (topology, masks) that only move with ``to``."""
    pipe: Pipeline

    @property
    def lead_time(self) -> torch.Tensor:
        """Lead time per location (or edge), ``[S or 1, N]``."""
        return self.pipe.lead_time

    @property
    def max_lead_time(self) -> int:
        return self.pipe.max_lead_time

    def select(self, index) -> System:
        """The instance restricted to samples ``index`` (per-sample parameters follow)."""
        new = copy.copy(self)
        for name in self.per_sample:
            value = getattr(self, name)
            setattr(new, name, value[index] if value.shape[0] > 1 else value)
        new.pipe = self.pipe.select(index)
        return new

    def to(self, device) -> System:
        """The instance with its tensors on ``device``."""
        new = copy.copy(self)
        for name in self.per_sample + self.shared:
            setattr(new, name, getattr(self, name).to(device))
        new.pipe = self.pipe.to(device)
        return new

    def round_action(self, action):
        """Whole-unit action (integer settings); systems with coupled actions keep them feasible."""
        return torch.round(action) if isinstance(action, torch.Tensor) else {k: torch.round(v) for k, v in action.items()}

    def observe(self, state: State, period: int, features: torch.Tensor | None = None) -> Observation:
        return Observation(state=state, system=self, period=period, features=features)
