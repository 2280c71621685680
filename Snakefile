"""invrl: one DAG from demand data to paper-style tables and figures.

    snakemake --cores 8                                          # default scale, into results/default/
    snakemake --cores 2 --config scale=smoke                     # every rule on tiny data, into results/smoke/
    snakemake --cores 1 tables figures [--config scale=smoke]    # regenerate from that scale's existing cubes
"""

from pathlib import Path

from snakemake.utils import min_version

min_version("9.0")


ROOT = Path(workflow.basedir)


configfile: ROOT / "config/config.yaml"
configfile: ROOT / "config/real_data.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/exact.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/cube.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/real_data.smk"


rule all:
    """Every table and figure: synthetic experiments, real-data experiments and the real-data sets."""
    input:
        table_files(),
        figure_files(),
        rules.real_data.input,
    default_target: True
