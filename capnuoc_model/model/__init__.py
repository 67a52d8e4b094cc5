"""The model: scenarios and assumptions, population, the projection engine, water losses, feasibility, the
base-year state and one full projection run of a scenario (pure functions over pandas and numpy).

Imports only the data layer.
"""
from capnuoc_model import lazy_exports

__all__, __getattr__ = lazy_exports(__name__, {
    "load_scenario": "scenario", "load_defaults": "scenario", "Scenario": "scenario",
    "project": "projection", "Projection": "projection", "setup": "projection",
    "full_run": "projection_run", "ProjectionRun": "projection_run",
    "baseline_document": "baseline", "check_scenario": "assumption_checks", "check_assumptions": "assumption_checks",
})
