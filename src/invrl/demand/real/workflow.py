"""Helpers for workflow/rules/real_data.smk: paths, input functions and params from ``config['real_data']``.

They live here, not in the .smk, so the rules file holds rules only
(``snakemake --lint`` asks for that) and so they can be tested.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

FIGURES = ("intermittency", "seasonality", "sample")


class RealDataRules:
    """Everything the real-data rules compute from the (validated) config."""

    def __init__(self, config: dict, root):
        self.config = config["real_data"]
        self.root = Path(root)
        self.scale = config.get("scale", "default")
        self.datasets = self.config["datasets"]
        self.sources = self.config["sources"]

    # -- wildcard constraints and digests

    def dataset_pattern(self) -> str:
        return "|".join(sorted(self.datasets))

    @staticmethod
    def figure_pattern() -> str:
        return "|".join(FIGURES)

    def digest(self, *parts: str) -> str:
        """Content digest of library code under src/invrl (an edit reruns the rule that depends on it)."""
        h = hashlib.sha256()
        for part in parts:
            target = self.root / "src" / "invrl" / part
            for path in sorted(target.rglob("*.py")) if target.is_dir() else [target]:
                h.update(path.read_bytes())
        return h.hexdigest()[:16]

    # -- paths

    def raw_file(self, source: str) -> str:
        return f"results/data/raw/{self.sources[source]['file']}"

    @staticmethod
    def provenance_file(source: str) -> str:
        return f"results/data/raw/{source}.provenance.json"

    def source_json(self, source: str) -> str:
        return json.dumps(self.sources[source], sort_keys=True)

    def source_pin(self, source: str) -> str:
        """What determines the raw file's bytes (a change refetches); licence and citation text do not."""
        pinned = ("file", "path", "sha256", "wheel", "deb")
        return json.dumps({k: v for k, v in self.sources[source].items() if k in pinned}, sort_keys=True)

    # -- input functions (called with the job's wildcards)

    def _supplied(self, source: str) -> dict:
        path = self.sources[source].get("path")
        return {"supplied": path} if path else {}

    def online_retail_supplied(self, wildcards) -> dict:
        """The hand-downloaded file named by sources.online_retail.path, tracked as an input (else none)."""
        return self._supplied("online_retail")

    def dominicks_supplied(self, wildcards) -> dict:
        return self._supplied("dominicks")

    def raw_inputs(self, wildcards) -> dict:
        source = self.datasets[wildcards.dataset]["source"]
        return {"raw": self.raw_file(source), "provenance": self.provenance_file(source)}

    def provenance_input(self, wildcards) -> str:
        return self.provenance_file(self.datasets[wildcards.dataset]["source"])

    def dataset_json(self, wildcards) -> str:
        return json.dumps(self.datasets[wildcards.dataset], sort_keys=True)

    def targets(self) -> list[str]:
        """Every output of the real-data part for the data sets in real_data.build."""
        out = []
        for dataset in self.config["build"]:
            out += [
                f"results/data/processed/{dataset}.pt",
                f"results/data/cards/{dataset}.md",
                f"results/data/cards/{dataset}.json",
            ]
            out += [f"results/figures/data/{dataset}_{figure}.png" for figure in self.config["figures"]]
        return out
