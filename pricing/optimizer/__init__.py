"""Price optimizer: plain data in, price suggestions out (no database, clock or I/O).

``optimize(parts, policy)`` returns one :class:`SuggestionResult` per
:class:`PartInput`, maximizing expected gross profit under a constant-elasticity
demand model within the pricing policy's hard constraints. See
``docs/demand_model.md`` for the model and the estimation of elasticities.

The names below load on first use: ``pricing.yaml``'s schema imports
:mod:`pricing.optimizer.policy`, and reading a config file must not load SciPy.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pricing.optimizer.elasticity import ElasticitySettings
    from pricing.optimizer.engine import OptimizationRun, optimize, optimize_run
    from pricing.optimizer.inputs import (
        LadderPolicy,
        OptimizerInputError,
        PartInput,
        SalesHistory,
        SuggestionResult,
    )
    from pricing.optimizer.reasons import ALL_CODES as REASON_CODES

_HOMES = {
    "REASON_CODES": ("pricing.optimizer.reasons", "ALL_CODES"),
    "ElasticitySettings": ("pricing.optimizer.elasticity", "ElasticitySettings"),
    "LadderPolicy": ("pricing.optimizer.inputs", "LadderPolicy"),
    "OptimizationRun": ("pricing.optimizer.engine", "OptimizationRun"),
    "OptimizerInputError": ("pricing.optimizer.inputs", "OptimizerInputError"),
    "PartInput": ("pricing.optimizer.inputs", "PartInput"),
    "SalesHistory": ("pricing.optimizer.inputs", "SalesHistory"),
    "SuggestionResult": ("pricing.optimizer.inputs", "SuggestionResult"),
    "optimize": ("pricing.optimizer.engine", "optimize"),
    "optimize_run": ("pricing.optimizer.engine", "optimize_run"),
}

__all__ = [
    "REASON_CODES",
    "ElasticitySettings",
    "LadderPolicy",
    "OptimizationRun",
    "OptimizerInputError",
    "PartInput",
    "SalesHistory",
    "SuggestionResult",
    "optimize",
    "optimize_run",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(home[0]), home[1])
    globals()[name] = value
    return value
