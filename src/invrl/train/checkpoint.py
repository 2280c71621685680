"""Training checkpoints, written atomically so a kill mid-save keeps the previous one."""

from __future__ import annotations

from pathlib import Path

import torch

from invrl.io import atomic_path


def save_checkpoint(path: Path, payload: dict) -> None:
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)


def load_checkpoint(path: Path) -> dict:
    try:
        return torch.load(path, map_location="cpu", weights_only=False)
    except Exception as error:  # a corrupt checkpoint must name itself
        raise RuntimeError(f"checkpoint {path} is unreadable ({error}); delete it to start afresh") from error
