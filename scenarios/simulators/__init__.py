"""Built-in simulators, registered by scenario key.

A simulator is a module in this package that registers a function::

    @register("brrrr_scale_doors", input_schema=SCHEMA)
    def simulate(inputs: dict) -> dict: ...

Runs of a scenario whose key has a simulator are executed by Celery workers
(or ``manage.py run_worker``); runs of other scenarios wait for an external
worker to claim them over the API.
"""

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


class SimulationError(Exception):
    """The inputs cannot be simulated; the message tells the user why."""


@dataclass(frozen=True)
class Simulator:
    key: str
    run: Callable[[dict[str, Any]], dict[str, Any]]
    input_schema: dict[str, Any] | None = None


_registry: dict[str, Simulator] = {}


def register(key: str, *, input_schema: dict[str, Any] | None = None):
    def decorate(run: Callable[[dict[str, Any]], dict[str, Any]]):
        _registry[key] = Simulator(key=key, run=run, input_schema=input_schema)
        return run

    return decorate


def get(key: str) -> Simulator | None:
    return _registry.get(key)


def keys() -> list[str]:
    return sorted(_registry)


def load() -> None:
    """Import every module of this package so their simulators register."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
