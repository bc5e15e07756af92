"""The drills by name: each drill function registers itself with ``@drill(name, title)``.

A drill function takes a pgha_lab.context.Context, injects one fault into a whole cluster
(``c.fault(...)``), checks what must hold (``c.check(...)``), heals what the cluster does not
heal by itself (``c.heal(...)``) and returns; the runner then waits for a whole cluster and
measures. Its docstring says what it does and what it proves (``python -m pgha_lab --list``).

The drill modules live in pgha_lab.drills, one per fault family; ``drills()`` imports them.
The order of registration is the order of ``--drills all`` and of the report.
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass
from collections.abc import Callable


@dataclass(frozen=True)
class Drill:
    """A registered drill."""

    name: str
    title: str  # the report's row label
    func: Callable
    slow: bool = False  # counts for --repeat-slow
    in_all: bool = True  # False: a comparison rather than a fault of a healthy cluster, run only when named
    any_scheme: bool = False  # the cluster moves between plain and TLS: the load's clients take either (sslmode=prefer)

    @property
    def doc(self) -> str:
        return inspect.getdoc(self.func) or ""


_REGISTRY: dict[str, Drill] = {}


def drill(name: str, title: str, *, slow: bool = False, in_all: bool = True, any_scheme: bool = False):
    """Register the decorated function as drill `name`; it must have a docstring."""
    def register(func: Callable) -> Callable:
        if name in _REGISTRY:
            raise ValueError(f"drill {name!r} is registered twice: {_REGISTRY[name].func.__qualname__} and {func.__qualname__}")
        if not inspect.getdoc(func):
            raise ValueError(f"drill {name!r} ({func.__qualname__}) has no docstring: say what it does and proves")
        _REGISTRY[name] = Drill(name, title, func, slow, in_all, any_scheme)
        return func
    return register


def drills() -> dict[str, Drill]:
    """Every drill by name, in registration order."""
    importlib.import_module("pgha_lab.drills")
    return dict(_REGISTRY)


def default_names() -> list[str]:
    """What ``--drills all`` runs: every drill but those registered with in_all=False."""
    return [n for n, d in drills().items() if d.in_all]
