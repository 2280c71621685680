rule train_policy:
    """Train one learned policy with its method on one instance and seed, then evaluate it on the test split."""
    input:
        setting=get_setting_file,
        optimum=get_optimum_file,
        demand=get_demand_input,
    output:
        run=f"{RESULTS}/runs/{{experiment}}/{{instance}}/{{policy}}/seed{{seed}}.nc",
    params:
        instance=get_instance_values,
        policy=get_policy_config,
        sizes=get_run_sizes,
        data_seed=get_data_seed,
        scale=SCALE,
        device=config["device"],
        plugins=PLUGINS,
        digest=TRAIN_DIGEST,
    log:
        f"{RESULTS}/logs/train_policy/{{experiment}}/{{instance}}/{{policy}}/seed{{seed}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/train_policy/{{experiment}}/{{instance}}/{{policy}}/seed{{seed}}.tsv"
    threads: config["threads"]
    resources:
        mem_mb=6000,
        runtime=60,
    conda:
        "../../envs/invrl.yaml"
    script:
        "../scripts/train_policy.py"


use rule train_policy as train_policy_on_subset with:
    output:
        run=f"{RESULTS}/runs/{{experiment}}/{{instance}}/{{policy}}/n{{train_size}}/seed{{seed}}.nc",
    log:
        f"{RESULTS}/logs/train_policy/{{experiment}}/{{instance}}/{{policy}}/n{{train_size}}/seed{{seed}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/train_policy/{{experiment}}/{{instance}}/{{policy}}/n{{train_size}}/seed{{seed}}.tsv"


rule fit_heuristics:
    """Fit every heuristic of the experiment on one instance (train paths, dev choice) and evaluate on test."""
    input:
        setting=get_setting_file,
        optimum=get_optimum_file,
        demand=get_demand_input,
    output:
        run=f"{RESULTS}/runs/{{experiment}}/{{instance}}/heuristics.nc",
    params:
        instance=get_instance_values,
        runs=get_grouped_runs,
        data_seed=get_data_seed,
        scale=SCALE,
        device=config["device"],
        plugins=PLUGINS,
        digest=TRAIN_DIGEST,
    log:
        f"{RESULTS}/logs/fit_heuristics/{{experiment}}/{{instance}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/fit_heuristics/{{experiment}}/{{instance}}.tsv"
    threads: config["threads"]
    resources:
        mem_mb=6000,
        runtime=30,
    conda:
        "../../envs/invrl.yaml"
    script:
        "../scripts/fit_heuristics.py"
