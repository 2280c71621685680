rule solve_optimum:
    """Exact optimum of one instance (dynamic programming or closed form), or null where none is known."""
    input:
        setting=get_setting_file,
    output:
        optimum="results/optimum/{experiment}/{instance}.json",
    params:
        instance=get_instance_values,
        digest=EXACT_DIGEST,
    log:
        "results/logs/solve_optimum/{experiment}/{instance}.log",
    threads: 1
    resources:
        mem_mb=4000,
        runtime=20,
    conda:
        "../../envs/invrl.yaml"
    script:
        "../scripts/solve_optimum.py"
