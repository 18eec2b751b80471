"""Search algorithms and trial schedulers by name, resolved lazily to Ray Tune classes.

One table says which names exist, which Ray class each name means, and which optional
package it needs. Nothing is imported until a name is used, so the wizard can list the
names (and say which are usable) without loading Ray, hyperopt, optuna or bayes_opt.

Unlike Ray's ``create_searcher``, which drops keyword arguments it does not know, the
registry refuses unknown option keys and lists the ones the class accepts.

Example:
    >>> search_algorithm_names()
    ['basicvariantgenerator', 'bayesoptsearch', 'hyperoptsearch', 'optunasearch']
    >>> canonical_name("scheduler", "ASHA")
    'asha'
"""

from __future__ import annotations

__all__ = [
    "DEFAULT_ENTRIES", "DEFAULT_REGISTRY", "Importer", "Kind", "RegistryEntry", "Requirement",
    "TuningRegistry", "available", "canonical_name", "check_options", "scheduler_names",
    "search_algorithm_names",
]

import importlib
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Literal

from synapse_nb.errors import InputError, MissingDependency

Kind = Literal["search_alg", "scheduler"]
Importer = Callable[[str], ModuleType]

_RAY = ("ray.tune", "ray[tune]", None)


@dataclass(frozen=True)
class Requirement:
    """A module that must import (and, optionally, carry ``attribute``) for an entry to work."""

    module: str
    package: str
    attribute: str | None = None


@dataclass(frozen=True)
class RegistryEntry:
    """One search algorithm or scheduler: its name, Ray class and what it needs."""

    name: str
    kind: Kind
    module: str
    attribute: str
    title: str
    requires: tuple[Requirement, ...] = ()
    aliases: tuple[str, ...] = ()
    # Keys the class accepts that we set ourselves: the message says where they belong.
    reserved: Mapping[str, str] = field(default_factory=dict)


_SEARCHER_RESERVED = {
    "metric": "set it once in tune_config.metric",
    "mode": "set it once in tune_config.mode",
    "space": "the search space comes from the hyperparameters list",
    "points_to_evaluate": "put it in tune_config.search_alg.points_to_evaluate",
}
_SCHEDULER_RESERVED = {
    "metric": "set it once in tune_config.metric",
    "mode": "set it once in tune_config.mode",
}


def _entry(name: str, kind: Kind, target: str, title: str, *requires: Requirement,
           aliases: tuple[str, ...] = ()) -> RegistryEntry:
    module, _, attribute = target.partition(":")
    reserved = _SEARCHER_RESERVED if kind == "search_alg" else _SCHEDULER_RESERVED
    return RegistryEntry(name, kind, module, attribute, title, (Requirement(*_RAY), *requires), aliases, reserved)


DEFAULT_ENTRIES: tuple[RegistryEntry, ...] = (
    _entry("basicvariantgenerator", "search_alg", "ray.tune.search.basic_variant:BasicVariantGenerator",
           "Random / grid search", aliases=("random", "variant_generator", "basic")),
    _entry("hyperoptsearch", "search_alg", "ray.tune.search.hyperopt:HyperOptSearch",
           "HyperOpt (Tree-structured Parzen Estimator)", Requirement("hyperopt", "hyperopt"),
           aliases=("hyperopt",)),
    # Ray's BayesOptSearch uses bayes_opt.UtilityFunction, which bayesian-optimization 2+ removed.
    _entry("bayesoptsearch", "search_alg", "ray.tune.search.bayesopt:BayesOptSearch",
           "Bayesian optimisation (continuous parameters only)",
           Requirement("bayes_opt", "bayesian-optimization==1.4.3", "UtilityFunction"), aliases=("bayesopt",)),
    _entry("optunasearch", "search_alg", "ray.tune.search.optuna:OptunaSearch",
           "Optuna (TPE)", Requirement("optuna", "optuna"), aliases=("optuna",)),
    _entry("fifo", "scheduler", "ray.tune.schedulers:FIFOScheduler", "FIFO (run every trial to the end)",
           aliases=("fifoscheduler",)),
    _entry("hyperband", "scheduler", "ray.tune.schedulers:HyperBandScheduler", "HyperBand",
           aliases=("hyperbandscheduler",)),
    _entry("asha", "scheduler", "ray.tune.schedulers:AsyncHyperBandScheduler", "ASHA (asynchronous HyperBand)",
           aliases=("async_hyperband", "asynchyperband", "asynchyperbandscheduler")),
    _entry("medianstopping", "scheduler", "ray.tune.schedulers:MedianStoppingRule", "Median stopping rule",
           aliases=("median_stopping_rule", "medianstoppingrule")),
    _entry("pbt", "scheduler", "ray.tune.schedulers:PopulationBasedTraining", "Population based training",
           aliases=("populationbasedtraining",)),
)


class TuningRegistry:
    """Name -> Ray class table for search algorithms and schedulers.

    ``importer`` loads a module by name (``importlib.import_module`` by default); pass
    another to see how the registry behaves when a package is missing.

    Example:
        >>> def no_optuna(name):
        ...     if name == "optuna":
        ...         raise ModuleNotFoundError(name=name)
        ...     return importlib.import_module(name)
        >>> TuningRegistry(importer=no_optuna).available("optunasearch")[0]
        False
    """

    def __init__(self, entries: tuple[RegistryEntry, ...] = DEFAULT_ENTRIES,
                 importer: Importer = importlib.import_module) -> None:
        self._entries = {entry.name: entry for entry in entries}
        self._aliases = {alias: entry.name for entry in entries for alias in (entry.name, *entry.aliases)}
        self._importer = importer

    def names(self, kind: Kind) -> list[str]:
        """The canonical names of one kind, sorted (what a dropdown lists)."""
        return sorted(name for name, entry in self._entries.items() if entry.kind == kind)

    def canonical_name(self, kind: Kind, name: str) -> str:
        """``name`` (any case, or an alias) as its canonical name; InputError when unknown."""
        field_name = f"tune_config.{kind}.name"
        if not isinstance(name, str) or not name.strip():
            raise InputError(field_name, f"one of {self.names(kind)}", got=name)
        key = name.strip().lower()
        canonical = self._aliases.get(key)
        if canonical is None or self._entries[canonical].kind != kind:
            raise InputError(field_name, f"one of {self.names(kind)}", got=name)
        return canonical

    def entry(self, name: str) -> RegistryEntry:
        """The entry of a canonical name or alias (either kind)."""
        canonical = self._aliases.get(name.strip().lower()) if isinstance(name, str) else None
        if canonical is None:
            known = self.names("search_alg") + self.names("scheduler")
            raise InputError("tune_config", f"a search algorithm or scheduler name, one of {known}", got=name)
        return self._entries[canonical]

    def available(self, name: str) -> tuple[bool, str]:
        """``(True, "")`` when ``name`` can be built here, else ``(False, reason)``.

        Example:
            >>> available("fifo")
            (True, '')
        """
        entry = self.entry(name)
        missing = self._missing_requirement(entry)
        if missing is None:
            return True, ""
        return False, str(MissingDependency(entry.name, missing.package))

    def resolve(self, name: str) -> type:
        """The Ray class for ``name``; MissingDependency naming the package when one is missing."""
        entry = self.entry(name)
        missing = self._missing_requirement(entry)
        if missing is not None:
            raise MissingDependency(entry.name, missing.package)
        return getattr(self._importer(entry.module), entry.attribute)

    def accepted_options(self, name: str) -> list[str]:
        """Option keys the Ray class takes, read from its ``__init__`` (reserved keys left out)."""
        entry = self.entry(name)
        return [key for key in self._signature_keys(entry) if key not in entry.reserved]

    def check_options(self, name: str, options: Mapping[str, Any]) -> None:
        """InputError naming unknown or reserved keys of ``options`` and listing the accepted ones.

        Example:
            >>> check_options("asha", {"max_t": 10, "grace_period": 1})
            >>> check_options("asha", {"max_epochs": 10})  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            ...
            synapse_nb.errors.InputError: tune_config.scheduler.options: expected keys among [...
        """
        if not options:
            return
        entry = self.entry(name)
        field_name = f"tune_config.{entry.kind}.options"
        reserved = sorted(key for key in options if key in entry.reserved)
        if reserved:
            hints = "; ".join(f"'{key}': {entry.reserved[key]}" for key in reserved)
            raise InputError(field_name, f"no {reserved} in the options of {entry.name}", got=reserved, hint=hints)
        accepted = self.accepted_options(name)
        unknown = sorted(key for key in options if key not in accepted)
        if unknown:
            raise InputError(field_name, f"keys among {accepted} for {entry.name}", got=unknown,
                             hint=f"unknown option keys {unknown}")

    def _signature_keys(self, entry: RegistryEntry) -> list[str]:
        # The Ray module imports without its optional library, so the signature is readable
        # even where the class could not be built.
        for requirement in entry.requires[:1]:
            self._import_or_raise(entry, requirement)
        cls = getattr(self._importer(entry.module), entry.attribute)
        params = inspect.signature(cls.__init__).parameters.values()
        return [p.name for p in params if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]

    def _import_or_raise(self, entry: RegistryEntry, requirement: Requirement) -> ModuleType:
        try:
            return self._importer(requirement.module)
        except ImportError as exc:
            raise MissingDependency(entry.name, requirement.package) from exc

    def _missing_requirement(self, entry: RegistryEntry) -> Requirement | None:
        for requirement in entry.requires:
            try:
                module = self._importer(requirement.module)
            except ImportError:
                return requirement
            if requirement.attribute and not hasattr(module, requirement.attribute):
                return requirement
        return None


DEFAULT_REGISTRY = TuningRegistry()


def search_algorithm_names() -> list[str]:
    """Names of the search algorithms, for ``tune_config.search_alg.name`` and the wizard.

    Example:
        >>> "optunasearch" in search_algorithm_names()
        True
    """
    return DEFAULT_REGISTRY.names("search_alg")


def scheduler_names() -> list[str]:
    """Names of the trial schedulers, for ``tune_config.scheduler.name`` and the wizard.

    Example:
        >>> scheduler_names()
        ['asha', 'fifo', 'hyperband', 'medianstopping', 'pbt']
    """
    return DEFAULT_REGISTRY.names("scheduler")


def canonical_name(kind: Kind, name: str) -> str:
    """A search algorithm or scheduler name (any case, or an alias) as its canonical name.

    Example:
        >>> canonical_name("search_alg", "HyperOpt")
        'hyperoptsearch'
    """
    return DEFAULT_REGISTRY.canonical_name(kind, name)


def available(name: str) -> tuple[bool, str]:
    """Whether ``name`` can be built on this machine, and why not (the package to install).

    Example:
        >>> available("hyperband")
        (True, '')
    """
    return DEFAULT_REGISTRY.available(name)


def check_options(name: str, options: Mapping[str, Any]) -> None:
    """Refuse option keys the Ray class of ``name`` does not take (InputError listing the accepted ones).

    Example:
        >>> check_options("hyperoptsearch", {"n_initial_points": 5})
    """
    DEFAULT_REGISTRY.check_options(name, options)
