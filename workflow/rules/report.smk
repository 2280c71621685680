rule write_table:
    """Paper-style table of an experiment: optimum, each policy's cost and gap (markdown, LaTeX, CSV)."""
    input:
        cube="results/cubes/{experiment}.nc",
    output:
        markdown=report(
            "results/tables/{experiment}.md",
            caption="../report/table.rst",
            category="Tables",
            subcategory="{experiment}",
        ),
        latex="results/tables/{experiment}.tex",
        csv="results/tables/{experiment}.csv",
    params:
        digest=code_digest("report"),
    log:
        "results/logs/write_table/{experiment}.log",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=5,
    conda:
        "../../envs/invrl.yaml"
    script:
        "../scripts/write_table.py"


rule plot_figure:
    """One figure of an experiment, read from its cube."""
    input:
        cube="results/cubes/{experiment}.nc",
    output:
        figure=report(
            "results/figures/{experiment}_{figure}.png",
            caption="../report/figure.rst",
            category="Figures",
            subcategory="{experiment}",
        ),
    wildcard_constraints:
        figure="gap_heatmap|gap_lines|learning_curves|excess_lines|bound_gap_lines|data_efficiency",
    params:
        digest=code_digest("report"),
    log:
        "results/logs/plot_figure/{experiment}_{figure}.log",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=5,
    conda:
        "../../envs/invrl.yaml"
    script:
        "../scripts/plot_figure.py"


rule tables:
    """Every table (regenerated from the cubes without retraining)."""
    input:
        expand("results/tables/{experiment}.md", experiment=EXPERIMENTS),


rule figures:
    """Every figure (regenerated from the cubes without retraining)."""
    input:
        [figure for experiment in EXPERIMENTS for figure in get_figure_files(experiment)],
