rule generate_demand:
    """Draw each instance's synthetic demand and summarise it per split (the numbers training uses)."""
    input:
        setting=get_setting_file,
    output:
        summary="results/data/synthetic/{experiment}.nc",
    params:
        experiment=get_experiment_json,
        instances=get_instances_json,
        sizes=get_sizes,
        digest=code_digest("demand", "instance.py"),
    log:
        "results/logs/generate_demand/{experiment}.log",
    threads: 1
    resources:
        mem_mb=4000,
        runtime=10,
    conda:
        "../../envs/invrl.yaml"
    script:
        "../scripts/generate_demand.py"
