"""The pool settings on the agent's command line: defaults, values, and a bad value named."""

from __future__ import annotations

import pytest

from synapse_nb.agent.cli import _pool_config, build_parser
from synapse_nb.agent.pool import DEFAULT_PRELOAD


def test_the_default_pool_is_one_warm_worker_with_the_training_stack() -> None:
    config = _pool_config(build_parser().parse_args([]))
    assert (config.size, config.max_tasks_per_worker, config.max_memory_mb) == (1, 20, 8192.0)
    assert {"torch", "ultralytics"} <= set(config.preload) == set(DEFAULT_PRELOAD)


def test_an_agent_joining_a_cluster_keeps_no_warm_worker_unless_asked() -> None:
    # An idle warm worker would hold a task's CPUs from the other agents of the cluster.
    assert _pool_config(build_parser().parse_args(["--ray-address", "10.0.0.1:6379"])).size == 0
    assert _pool_config(build_parser().parse_args(["--ray-address", "auto", "--pool-size", "1"])).size == 1


def test_pool_options_are_read_and_size_0_turns_it_off() -> None:
    args = build_parser().parse_args(["--pool-size", "0", "--pool-max-tasks", "3", "--pool-max-memory-mb", "512"])
    config = _pool_config(args)
    assert (config.size, config.enabled, config.max_tasks_per_worker, config.max_memory_mb) == (0, False, 3, 512.0)


@pytest.mark.parametrize(("option", "value"), [("--pool-size", "-1"), ("--pool-max-tasks", "0"), ("--pool-max-memory-mb", "0")])
def test_a_bad_pool_value_exits_naming_the_option(option: str, value: str) -> None:
    with pytest.raises(SystemExit) as exited:
        _pool_config(build_parser().parse_args([option, value]))
    assert str(exited.value.code).startswith(f"synapse-nb agent: {option}: ")
