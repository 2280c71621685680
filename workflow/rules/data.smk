rule generate_demand:
    """Draw each instance's synthetic demand and summarise it per split (the numbers training uses)."""
    input:
        setting=get_setting_file,
    output:
        summary=f"{RESULTS}/data/synthetic/{{experiment}}.nc",
    params:
        instances=get_instances_json,
        sizes=get_demand_sizes,
        data_seed=get_data_seed,
        plugins=PLUGINS,
        digest=code_digest("demand", "families", "instance.py", "settings.py"),
    log:
        f"{RESULTS}/logs/generate_demand/{{experiment}}.log",
    threads: 1
    resources:
        mem_mb=4000,
        runtime=10,
    conda:
        "../../envs/invrl.yaml"
    script:
        "../scripts/generate_demand.py"
