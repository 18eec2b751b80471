"""The tuning registry: names for the wizard, lazy Ray classes, missing packages, strict options."""

from __future__ import annotations

import importlib
import subprocess
import sys
import types
from collections.abc import Callable

import pytest

from synapse_nb.errors import InputError, MissingDependency
from synapse_nb.tuning_registry import (
    DEFAULT_REGISTRY,
    TuningRegistry,
    available,
    canonical_name,
    check_options,
    scheduler_names,
    search_algorithm_names,
)

ALL_NAMES = ["basicvariantgenerator", "hyperoptsearch", "bayesoptsearch", "optunasearch",
             "fifo", "hyperband", "asha", "medianstopping", "pbt"]


def importer_without(*missing: str, calls: list[str] | None = None,
                     replace: dict[str, types.ModuleType] | None = None) -> Callable[[str], types.ModuleType]:
    """An importer that behaves as if the ``missing`` modules were not installed."""

    def load(name: str) -> types.ModuleType:
        if calls is not None:
            calls.append(name)
        if name in missing:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        if replace and name in replace:
            return replace[name]
        return importlib.import_module(name)

    return load


def test_names_for_the_wizard() -> None:
    assert search_algorithm_names() == ["basicvariantgenerator", "bayesoptsearch", "hyperoptsearch", "optunasearch"]
    assert scheduler_names() == ["asha", "fifo", "hyperband", "medianstopping", "pbt"]


def test_listing_names_imports_nothing() -> None:
    calls: list[str] = []
    registry = TuningRegistry(importer=importer_without(calls=calls))
    registry.names("search_alg")
    registry.names("scheduler")
    registry.canonical_name("scheduler", "ASHA")
    assert calls == []


def test_importing_the_tuning_modules_does_not_import_ray() -> None:
    code = ("import sys, synapse_nb.tuning_registry, synapse_nb.search_space as s; "
            "s.TuneConfig(mode='max', metric='m', search_alg='optuna', scheduler='asha'); "
            "assert 'ray' not in sys.modules and 'optuna' not in sys.modules, sorted(sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(
    ("kind", "given", "canonical"),
    [("search_alg", "HyperOptSearch", "hyperoptsearch"), ("search_alg", " optuna ", "optunasearch"),
     ("search_alg", "random", "basicvariantgenerator"), ("search_alg", "BayesOpt", "bayesoptsearch"),
     ("scheduler", "ASHA", "asha"), ("scheduler", "async_hyperband", "asha"),
     ("scheduler", "median_stopping_rule", "medianstopping"), ("scheduler", "PBT", "pbt")],
)
def test_names_are_case_insensitive_with_aliases(kind: str, given: str, canonical: str) -> None:
    assert canonical_name(kind, given) == canonical  # type: ignore[arg-type]


@pytest.mark.parametrize(("kind", "name"), [("search_alg", "axsearch"), ("scheduler", "hyperoptsearch"),
                                            ("search_alg", "asha"), ("scheduler", "")])
def test_unknown_names_list_the_known_ones(kind: str, name: str) -> None:
    with pytest.raises(InputError) as info:
        canonical_name(kind, name)  # type: ignore[arg-type]
    assert info.value.field == f"tune_config.{kind}.name"
    assert str(DEFAULT_REGISTRY.names(kind)) in str(info.value)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ALL_NAMES)
def test_everything_is_available_here_and_resolves_to_the_ray_class(name: str) -> None:
    assert available(name) == (True, "")
    cls = DEFAULT_REGISTRY.resolve(name)
    assert cls.__module__.startswith("ray.tune.")


@pytest.mark.parametrize(
    ("name", "module", "package"),
    [("hyperoptsearch", "hyperopt", "hyperopt"), ("optunasearch", "optuna", "optuna"),
     ("bayesoptsearch", "bayes_opt", "bayesian-optimization"), ("asha", "ray.tune", "ray[tune]")],
)
def test_a_missing_package_is_named(name: str, module: str, package: str) -> None:
    registry = TuningRegistry(importer=importer_without(module))
    ok, reason = registry.available(name)
    assert not ok and f"pip install {package}" in reason
    with pytest.raises(MissingDependency) as info:
        registry.resolve(name)
    assert info.value.package.startswith(package) and name in str(info.value)
    assert registry.available("basicvariantgenerator")[0] is (module != "ray.tune")


def test_an_incompatible_bayes_opt_is_reported_as_missing() -> None:
    # bayesian-optimization 2+ has no UtilityFunction, which Ray's BayesOptSearch needs.
    modern = types.ModuleType("bayes_opt")
    registry = TuningRegistry(importer=importer_without(replace={"bayes_opt": modern}))
    ok, reason = registry.available("bayesoptsearch")
    assert not ok and "bayesian-optimization==1.4.3" in reason


def test_accepted_options_come_from_the_ray_signature() -> None:
    assert DEFAULT_REGISTRY.accepted_options("asha") == ["time_attr", "max_t", "grace_period", "reduction_factor",
                                                         "brackets", "stop_last_trials"]
    assert "n_initial_points" in DEFAULT_REGISTRY.accepted_options("hyperoptsearch")
    assert DEFAULT_REGISTRY.accepted_options("fifo") == []
    for name in ALL_NAMES:
        assert not {"metric", "mode"} & set(DEFAULT_REGISTRY.accepted_options(name))


def test_option_keys_are_checked_even_without_the_optional_package() -> None:
    registry = TuningRegistry(importer=importer_without("optuna"))
    registry.check_options("optunasearch", {"seed": 1})
    with pytest.raises(InputError, match="seeed"):
        registry.check_options("optunasearch", {"seeed": 1})


@pytest.mark.parametrize(
    ("name", "options", "fragments"),
    [("asha", {"max_epochs": 3}, ["tune_config.scheduler.options", "['max_epochs']", "'grace_period'"]),
     ("fifo", {"max_t": 3}, ["tune_config.scheduler.options", "['max_t']", "[]"]),
     ("optunasearch", {"n_trials": 3}, ["tune_config.search_alg.options", "['n_trials']", "'sampler'"]),
     ("hyperoptsearch", {"mode": "max"}, ["tune_config.search_alg.options", "tune_config.mode"]),
     ("bayesoptsearch", {"points_to_evaluate": []}, ["search_alg.points_to_evaluate"])],
)
def test_unknown_option_keys_are_refused(name: str, options: dict, fragments: list[str]) -> None:
    with pytest.raises(InputError) as info:
        check_options(name, options)
    for fragment in fragments:
        assert fragment in str(info.value)
