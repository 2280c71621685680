"""HDPO: determinism, the NaN guard, resuming from a checkpoint, and learning something real."""

import math

import pytest
import torch

from invrl.demand.synthetic import sample_demand
from invrl.policies.mlp import MLPConfig, MLPPolicy
from invrl.systems.single_location import SingleLocation
from invrl.train.checkpoint import Checkpoint, CheckpointMismatchError
from invrl.train.hdpo import HDPOConfig, TrainingDivergedError, train_hdpo


def setup(lead_time=1, p=4.0, lost_sales=True):
    system = SingleLocation(lead_time=lead_time, holding_cost=1.0, shortage_cost=p, lost_sales=lost_sales, demand_mean=5.0)
    train = sample_demand("poisson", 512, 30, seed=1)
    dev = sample_demand("poisson", 512, 80, seed=2)
    return system, train, dev


def run(config, seed=0, checkpoint=None, p=4.0):
    system, train, dev = setup(p=p)
    torch.manual_seed(seed)
    policy = MLPPolicy(MLPPolicy.n_inputs(1), MLPConfig(hidden=(16, 16)))
    return train_hdpo(system, policy, train, dev, config=config, warmup=5, dev_warmup=20, seed=seed,
                      round_actions=True, checkpoint=checkpoint, progress=False)


def test_same_seed_same_result():
    config = HDPOConfig(max_steps=30, batch_size=128, eval_every=10)
    a, b = run(config), run(config)
    assert a.curve["dev_cost"] == b.curve["dev_cost"]
    for pa, pb in zip(a.policy.parameters(), b.policy.parameters()):
        assert torch.equal(pa, pb)


def test_hdpo_beats_its_initial_policy_and_nears_the_optimum():
    """L=1, p=4 lost sales: optimum 4.04 (Zipkin 2008). A short run must get within 3%."""
    result = run(HDPOConfig(max_steps=150, batch_size=256, eval_every=25, learning_rate=1e-2))
    assert result.curve["dev_cost"][-1] < result.curve["dev_cost"][0]
    assert result.best_dev_cost < 4.04 * 1.03


def test_nan_stops_with_the_step():
    system, train, dev = setup()

    class Exploding(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.ones(()))

        def forward(self, obs):
            scale = torch.inf if obs.period == 3 else 1.0
            return (self.w * scale * obs.state.on_hand).clamp_min(0) * 0 + self.w * scale

    with pytest.raises(TrainingDivergedError, match="step 0"):
        train_hdpo(system, Exploding(), train, dev, config=HDPOConfig(max_steps=5, batch_size=8), warmup=0,
                   dev_warmup=0, seed=0, progress=False)


def _kill_at(monkeypatch, step):
    real_save = Checkpoint.save

    def save_then_die(self, payload):
        real_save(self, payload)
        if payload["step"] == step:
            raise KeyboardInterrupt("killed")

    monkeypatch.setattr(Checkpoint, "save", save_then_die)
    return real_save


def test_killed_run_resumes_from_its_checkpoint(tmp_path, monkeypatch):
    config = HDPOConfig(max_steps=40, batch_size=64, eval_every=10, checkpoint_every=20, patience=100)
    reference = run(config)
    path = tmp_path / "ckpt.pt"
    real_save = _kill_at(monkeypatch, 20)
    with pytest.raises(KeyboardInterrupt):
        run(config, checkpoint=Checkpoint(path, "run-a"))
    monkeypatch.setattr(Checkpoint, "save", real_save)
    assert path.exists()
    resumed = run(config, checkpoint=Checkpoint(path, "run-a"))
    assert resumed.steps == 40
    assert resumed.curve["dev_cost"] == pytest.approx(reference.curve["dev_cost"], rel=1e-6)
    assert math.isclose(resumed.best_dev_cost, reference.best_dev_cost, rel_tol=1e-6)


def test_a_checkpoint_of_another_configuration_is_ignored_or_refused(tmp_path, monkeypatch, caplog):
    """The defect: a p = 39 checkpoint resumed into a p = 4 run reported a 66% gap. A checkpoint
    resumes only the run whose configuration hash wrote it."""
    config = HDPOConfig(max_steps=40, batch_size=64, eval_every=10, checkpoint_every=20, patience=100)
    path = tmp_path / "ckpt.pt"
    real_save = _kill_at(monkeypatch, 20)
    with pytest.raises(KeyboardInterrupt):
        run(config, checkpoint=Checkpoint(path, "p39"), p=39.0)
    monkeypatch.setattr(Checkpoint, "save", real_save)
    with pytest.raises(CheckpointMismatchError, match="another run configuration"):
        run(config, checkpoint=Checkpoint(path, "p4", strict=True))
    with caplog.at_level("WARNING"):
        fresh = run(config, checkpoint=Checkpoint(path, "p4"))
    assert "ignoring it and starting fresh" in caplog.text
    reference = run(config)
    assert fresh.steps == 40 and fresh.curve["dev_cost"] == pytest.approx(reference.curve["dev_cost"], rel=1e-6)


def test_checkpoints_are_also_written_by_time(tmp_path):
    """checkpoint_every=0 (never by steps) with every_s=0 saves after every step: an early kill loses little."""
    path = tmp_path / "ckpt.pt"
    saver = Checkpoint(path, "k", every_s=0.0)
    saved = []
    original = saver.save
    saver.save = lambda payload: (saved.append(payload["step"]), original(payload))
    run(HDPOConfig(max_steps=3, batch_size=32, eval_every=10, checkpoint_every=0), checkpoint=saver)
    assert saved == [1, 2, 3]
