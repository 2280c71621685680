"""Training checkpoints that resume only the run that wrote them.

A checkpoint carries the hash of the resolved run configuration (setting,
sizes, policy, method options, seed). A run resumes from it only when the hash
matches; a checkpoint of another configuration is ignored with a warning (or,
``strict``, refused), so a stale file can never turn into wrong numbers.
Writes are atomic, so a kill mid-save keeps the previous checkpoint.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

from invrl.errors import InvrlError
from invrl.io import atomic_path

log = logging.getLogger(__name__)


class CheckpointMismatchError(InvrlError):
    """A checkpoint exists but was written by another run configuration."""


def save_checkpoint(path: Path, payload: dict) -> None:
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)


def load_checkpoint(path: Path) -> dict:
    try:
        return torch.load(path, map_location="cpu", weights_only=False)
    except Exception as error:  # a corrupt checkpoint must name itself
        raise InvrlError(f"checkpoint {path} is unreadable ({error}); delete it to start afresh") from error


@dataclass
class Checkpoint:
    path: Path
    key: str
    """Hash of the resolved run configuration; only a checkpoint with this key resumes."""
    every_s: float = 60.0
    """Save at least this often in wall-clock seconds as well (an early kill loses little)."""
    strict: bool = False
    """A checkpoint of another configuration stops the run instead of being ignored."""
    _last_save: float = field(default_factory=time.perf_counter, repr=False)

    def resume(self) -> dict | None:
        """The saved state if it belongs to this run, else None (logged either way)."""
        path = Path(self.path)
        if not path.exists():
            log.info("starting fresh (no checkpoint at %s)", path)
            return None
        saved = load_checkpoint(path)
        if saved.get("run_key") != self.key:
            message = (f"checkpoint {path} was written by another run configuration "
                       f"(key {saved.get('run_key', 'none')}, this run {self.key})")
            if self.strict:
                raise CheckpointMismatchError(message + "; delete it or drop --strict-resume")
            log.warning("%s; ignoring it and starting fresh", message)
            return None
        log.info("resuming from %s at step %d", path, saved["step"])
        return saved

    def due(self, step: int, every_steps: int) -> bool:
        """Every ``every_steps`` steps (0: never by steps), or when ``every_s`` seconds have passed."""
        by_steps = every_steps > 0 and step % every_steps == 0
        return by_steps or time.perf_counter() - self._last_save >= self.every_s

    def save(self, payload: dict) -> None:
        save_checkpoint(Path(self.path), {**payload, "run_key": self.key})
        self._last_save = time.perf_counter()

    def remove(self) -> None:
        """A finished run's checkpoint is of no further use: a rerun starts afresh."""
        Path(self.path).unlink(missing_ok=True)
