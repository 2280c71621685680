import sys; sys.stderr = open(snakemake.log[0], "w")  # noqa: E702

from invrl.demand.real import load_real_demand
from invrl.demand.real.fetch import report_errors
from invrl.report.data_figures import plot_data_figure

with report_errors():
    real = load_real_demand(snakemake.input.data)
plot_data_figure(
    real, snakemake.wildcards.data_figure, snakemake.output.figure, name=snakemake.wildcards.dataset,
    sample_series=snakemake.params.sample_series,
)
