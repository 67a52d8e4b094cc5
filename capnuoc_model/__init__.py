"""capnuoc: urban water-supply policy model for Cao Bằng province."""
__version__ = "0.1.0"
