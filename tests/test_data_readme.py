"""data/README.md documents every table and column the schema declares."""

from capnuoc_model.data.schema import TABLES

from .conftest import DATA


def test_readme_documents_every_column():
    text = (DATA / "README.md").read_text(encoding="utf-8")
    for table in TABLES:
        assert f"`{table.file}`" in text, table.file
        for field in table.columns():
            assert f"`{field.name}`" in text, f"{table.file}: {field.name}"
