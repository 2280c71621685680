import pytest

from invrl.cli import main
from invrl.config import ConfigError, experiment_at_scale, experiment_sizes, instance_values, load_config, parse_assignments
from invrl.settings import load_setting


def test_shipped_config_and_settings_are_valid():
    config = load_config()
    for experiment in config["experiments"].values():
        for flat in instance_values(experiment).values():
            load_setting(experiment["setting"], parse_assignments([f"{k}={v}" for k, v in flat.items()]))


def test_bad_key_is_named():
    with pytest.raises(ConfigError, match="lead_tme"):
        load_setting("lost_sales", {"lead_tme": 2})


def test_bad_value_is_named():
    with pytest.raises(ConfigError, match="lead_time") as info:
        load_setting("lost_sales", {"lead_time": -1})
    assert "-1" in str(info.value)


def test_bad_nested_value_is_named():
    with pytest.raises(ConfigError, match="demand.distribution") as error:
        load_setting("lost_sales", parse_assignments(["demand.distribution=weibull"]))
    assert "unexpected key" not in str(error.value)  # the valid keys beside it are not blamed


def test_cli_reports_config_errors(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "lost_sales", "hdpo_mlp", "--scale", "smoke", "--set", "shortage_cst=4", "--no-optimum"])
    assert exit_info.value.code == 2
    assert "shortage_cst" in capsys.readouterr().err


def test_instances_of_the_lost_sales_grid():
    config = load_config()
    names = list(instance_values(config["experiments"]["lost_sales"]))
    assert len(names) == 16 and names[0] == "L1-p4" and names[-1] == "L4-p39"


def test_policy_options_options_apply_to_that_policy_at_that_scale_only():
    config = load_config()
    gnn = experiment_sizes(config, "serial", "default", "hdpo_gnn")
    vanilla = experiment_sizes(config, "serial", "default", "hdpo_vanilla")
    assert gnn["hdpo"]["batch_size"] == 128 and vanilla["hdpo"]["batch_size"] == 256
    assert gnn["hdpo"]["max_steps"] == 300 and vanilla["hdpo"]["max_steps"] == 400
    assert gnn["hdpo"]["eval_every"] == vanilla["hdpo"]["eval_every"] == 50  # the rest of the experiment's hdpo stays
    assert gnn["train"] == vanilla["train"] == experiment_sizes(config, "serial", "default")["train"]
    paper = experiment_sizes(config, "serial", "paper", "hdpo_gnn")
    assert paper["hdpo"] == experiment_sizes(config, "serial", "paper")["hdpo"]  # default-scale budgets never reach paper


def test_policy_options_rejects_an_unknown_scale():
    config = load_config()
    config["experiments"]["serial"]["policy_options"] = {"hdpo_gnn": {"defualt": {"batch_size": 64}}}
    from invrl.config import validate

    with pytest.raises(ConfigError, match="defualt"):
        validate(config, "config.yaml")


def test_policy_options_for_a_policy_the_experiment_does_not_run_is_named():
    config = load_config()
    config["experiments"]["serial"]["policy_options"] = {"hdpo_gnm": {"default": {"batch_size": 64}}}
    with pytest.raises(ConfigError, match="serial.policy_options.*hdpo_gnm"):
        experiment_sizes(config, "serial", "default", "hdpo_vanilla")


def test_cases_give_only_the_listed_combinations():
    config = load_config()
    multi = config["experiments"]["multi_warehouse"]
    assert instance_values(multi) == {"W2-N10": {"n_warehouses": 2, "n_stores": 10}, "W3-N20": {"n_warehouses": 3, "n_stores": 20}}
    smoke = experiment_at_scale(multi, "smoke")  # a grid at one scale replaces the cases
    assert list(instance_values(smoke)) == ["W2-N6", "W3-N6"]


def test_grid_and_cases_together_or_clashing_names_are_errors():
    with pytest.raises(ConfigError, match="either grid .* or cases"):
        instance_values({"grid": {"n_stores": [3]}, "cases": [{"n_stores": 5}]})
    with pytest.raises(ConfigError, match="'N3'"):
        instance_values({"cases": [{"n_stores": 3, "seed": 1}, {"n_stores": 3, "seed": 2}], "instance_name": "N{n_stores}"})
