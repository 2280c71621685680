rule write_table:
    """Paper-style table of an experiment: optimum, each policy's cost and gap (markdown, LaTeX, CSV)."""
    input:
        cube=f"{RESULTS}/cubes/{{experiment}}.nc",
    output:
        markdown=report(
            f"{RESULTS}/tables/{{experiment}}.md",
            caption="../report/table.rst",
            category="Tables",
            subcategory="{experiment}",
        ),
        latex=f"{RESULTS}/tables/{{experiment}}.tex",
        csv=f"{RESULTS}/tables/{{experiment}}.csv",
    params:
        digest=code_digest("report"),
    log:
        f"{RESULTS}/logs/write_table/{{experiment}}.log",
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
        cube=f"{RESULTS}/cubes/{{experiment}}.nc",
    output:
        figure=report(
            f"{RESULTS}/figures/{{experiment}}_{{figure}}.png",
            caption="../report/figure.rst",
            category="Figures",
            subcategory="{experiment}",
        ),
    wildcard_constraints:
        figure="|".join(FIGURES),
    params:
        digest=code_digest("report"),
    log:
        f"{RESULTS}/logs/plot_figure/{{experiment}}_{{figure}}.log",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=5,
    conda:
        "../../envs/invrl.yaml"
    script:
        "../scripts/plot_figure.py"


rule tables:
    """Every table whose cube exists at this scale, regenerated from the cubes without retraining."""
    input:
        table_files(existing_cubes_only=True),


rule figures:
    """Every figure whose cube exists at this scale, regenerated from the cubes without retraining."""
    input:
        figure_files(existing_cubes_only=True),
