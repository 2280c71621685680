"""The network policy architectures, registered for every ``Network``.

``build_network_policy("gnn", system, {"hidden": 64, "mlp_hidden": [64]})``:
the config dict holds the fields of the architecture's config dataclass (YAML
lists become tuples); unknown names or fields are errors, never ignored.
"""

from __future__ import annotations

import dataclasses

from torch import nn

from invrl.policies.gnn import GNNConfig, GNNPolicy
from invrl.policies.network_mlp import NetworkMLPConfig, NetworkMLPPolicy
from invrl.policies.registry import register_architecture
from invrl.policies.symmetry_aware import SymmetryAwareConfig, SymmetryAwarePolicy
from invrl.systems.network import Network

NETWORK_ARCHITECTURES = {
    "mlp": (NetworkMLPConfig, NetworkMLPPolicy),
    "symmetry_aware": (SymmetryAwareConfig, SymmetryAwarePolicy),
    "gnn": (GNNConfig, GNNPolicy),
}


def network_policy_config(architecture: str, network_config: dict | None = None):
    """The config dataclass of ``architecture`` filled from ``network_config``."""
    if architecture not in NETWORK_ARCHITECTURES:
        raise ValueError(f"unknown network architecture {architecture!r}; expected one of {sorted(NETWORK_ARCHITECTURES)}")
    config_class, _ = NETWORK_ARCHITECTURES[architecture]
    fields = {f.name: f for f in dataclasses.fields(config_class)}
    values = {}
    for key, value in (network_config or {}).items():
        if key not in fields:
            raise ValueError(f"unknown {architecture} config key {key!r}; expected one of {sorted(fields)}")
        if isinstance(value, list) and isinstance(fields[key].default, tuple):
            value = tuple(value)
        values[key] = value
    return config_class(**values)


def build_network_policy(architecture: str, system: Network, network_config: dict | None = None) -> nn.Module:
    """A fresh (randomly initialised: seed torch first) policy of ``architecture`` for ``system``."""
    config = network_policy_config(architecture, network_config)
    return NETWORK_ARCHITECTURES[architecture][1](system, config)


for _name, (_config, _policy) in NETWORK_ARCHITECTURES.items():
    register_architecture(_name, Network, _config, lambda system, config, n_features, policy=_policy: policy(system, config))
