rule solve_optimum:
    """Exact optimum of one instance (dynamic programming or closed form), or null where none is known."""
    input:
        setting=get_setting_file,
    output:
        optimum=f"{RESULTS}/optimum/{{experiment}}/{{instance}}.json",
    params:
        instance=get_instance_values,
        plugins=PLUGINS,
        digest=EXACT_DIGEST,
    log:
        f"{RESULTS}/logs/solve_optimum/{{experiment}}/{{instance}}.log",
    threads: 1
    resources:
        mem_mb=4000,
        runtime=20,
    conda:
        "../../envs/invrl.yaml"
    script:
        "../scripts/solve_optimum.py"
