"""The case model and its files, validation, resources, matching, scoring, the one analysis
(:func:`flows.pipeline.analyse`) and the privacy gate (:mod:`flows.privacy`).

Submodules and the names below are imported on first use, so ``python -m flows --help`` and
light commands do not pay for geopandas, osmnx or networkx.
"""

from __future__ import annotations

import importlib
from typing import Any

_NAMES = {
    "Analysis": "flows.pipeline",
    "AnalysisOptions": "flows.pipeline",
    "analyse": "flows.pipeline",
    "Case": "flows.model",
    "CaseReadError": "flows._errors",
    "CaseValidationError": "flows._errors",
    "CaseWriteError": "flows._errors",
    "ResourceError": "flows._errors",
    "SymbioMapError": "flows._errors",
    "UnitError": "flows._errors",
    "LoadResult": "flows.io",
    "load_case": "flows.io",
    "read_case": "flows.io",
    "write_case": "flows.io",
}
_MODULES = (
    "io",
    "model",
    "nace",
    "pipeline",
    "privacy",
    "resources",
    "schema",
    "units",
    "validation",
)

__all__ = [  # noqa: RUF022 - grouped: modules, then names
    "io", "model", "nace", "pipeline", "privacy", "resources", "schema", "units", "validation",
    "Analysis", "AnalysisOptions", "analyse", "Case", "CaseReadError", "CaseValidationError",
    "CaseWriteError", "ResourceError", "SymbioMapError", "UnitError", "LoadResult", "load_case",
    "read_case", "write_case",
]  # fmt: skip


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        return importlib.import_module(f"flows.{name}")
    if name in _NAMES:
        return getattr(importlib.import_module(_NAMES[name]), name)
    msg = f"module 'flows' has no attribute {name!r}"
    raise AttributeError(msg)
