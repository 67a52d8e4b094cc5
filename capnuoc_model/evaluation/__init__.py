"""The annual evaluation (§VII): the agencies' reports (reading, checking, the workbook they fill in) and
their evaluation against the plan's targets and the projection made at the start of the year.

Imports the model and the data layer.
"""
from capnuoc_model import lazy_exports

__all__, __getattr__ = lazy_exports(__name__, {
    "load_actuals": "actuals_io", "read_actuals": "actuals_io", "Actuals": "actuals",
    "evaluate": "evaluation", "Evaluation": "evaluation", "start_of_year": "evaluation",
    "build_workbook": "template",
})
