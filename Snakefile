"""invrl: one DAG from demand data to paper-style tables and figures.

    snakemake --cores 8                         # default scale
    snakemake --cores 2 --config scale=smoke    # every rule on tiny data
    snakemake --cores 1 tables figures          # regenerate from existing cubes
"""

from pathlib import Path

from snakemake.utils import min_version, validate

min_version("9.0")


ROOT = Path(workflow.basedir)


configfile: ROOT / "config/config.yaml"
configfile: ROOT / "config/real_data.yaml"


validate(config, "config/schema.yaml")


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/exact.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/cube.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/real_data.smk"


rule all:
    """Every table and figure: synthetic experiments and the real-data sets."""
    input:
        rules.tables.input,
        rules.figures.input,
        rules.real_data.input,
    default_target: True
