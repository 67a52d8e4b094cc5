"""The data layer: the province's data package, its schema, reading and writing, validation, the plan read
from the package, the catalogue of messages, Vietnamese number formats and the output registry.

Imports nothing from the model, the evaluation or publishing.
"""
from capnuoc_model import lazy_exports

__all__, __getattr__ = lazy_exports(__name__, {
    "load_package": "io", "DataPackage": "io", "write_tables": "io", "DEFAULT_DATA_DIR": "io",
    "validate_package": "validation", "TABLES": "schema", "Plan": "plan",
    "CapnuocInputError": "errors", "Violation": "errors", "violation": "errors", "text": "messages",
    "TERMS": "water_balance", "BALANCE_INPUTS": "water_balance",
    "fmt": "fmt",  # Vietnamese number formats (17,9 %; 2.600 người), the module notebooks format with
})
