"""Price optimizer: plain data in, price suggestions out (no database, clock or I/O).

``optimize(parts, policy)`` returns one :class:`SuggestionResult` per
:class:`PartInput`, maximizing expected gross profit under a constant-elasticity
demand model within the pricing policy's hard constraints. See
``docs/demand_model.md`` for the model and the estimation of elasticities.
"""

from __future__ import annotations

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
