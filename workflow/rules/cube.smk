rule assemble_cube:
    """Combine every run of an experiment into one netCDF cube (instance x policy x seed x train size)."""
    input:
        runs=get_run_files,
    output:
        cube=f"{RESULTS}/cubes/{{experiment}}.nc",
    params:
        digest=code_digest("cube.py"),
    log:
        f"{RESULTS}/logs/assemble_cube/{{experiment}}.log",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=5,
    conda:
        "../../envs/invrl.yaml"
    script:
        "../scripts/assemble_cube.py"
