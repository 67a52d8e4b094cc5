"""Vietnamese names typed by people resolve to ids: normalisation, tone-mark placement, old names, ambiguity."""

import unicodedata

import pytest

from capnuoc_model.data.names import build_resolver, name_key


@pytest.fixture(scope="module")
def resolver(package):
    return build_resolver(package.tables)


@pytest.mark.parametrize("a, b", [
    ("Hoà", "Hòa"), ("Thuỵ", "Thụy"), ("Khoá", "Khóa"), ("Hoả", "Hỏa"), ("Xoã", "Xõa"), ("Quỳ", "Quỳ"),
    (unicodedata.normalize("NFD", "Bảo Lạc"), "Bảo Lạc"), ("  BẢO   LẠC ", "bảo lạc"),
])
def test_spellings_that_match(a, b):
    assert name_key(a) == name_key(b)


@pytest.mark.parametrize("a, b", [("Hòa", "Hóa"), ("Bảo Lạc", "Bảo Lâm"), ("Hạ Lang", "Hà Lang"), ("Đông Khê", "Dong Khe")])
def test_spellings_that_differ(a, b):
    assert name_key(a) != name_key(b)


@pytest.mark.parametrize("text, kind, expected", [
    ("hoa_an", "area", "hoa_an"),
    ("Hoà An", "area", "hoa_an"),
    ("xã Hòa An", "area", "hoa_an"),
    ("Pác Miều", "area", "bao_lam"),
    ("Pác Miầu", "area", "bao_lam"),
    ("Xuân Hoà", "area", "truong_ha"),
    ("Thanh Nhật", "area", "ha_lang"),
    ("Tà Lùng", "area", "phuc_hoa"),
    ("Hòa Thuận", "area", "phuc_hoa"),
    ("Nước Hai", "area", "hoa_an"),
    ("Nước Hai", "system", "hoa_an"),
    ("trạm cấp nước tổ 4 Trùng Khánh", "system", "trung_khanh_to4"),
    ("Nhà máy nước Xuân Hoà", "system", "xuan_hoa"),
    ("Cấp nước Cao Bằng", "operator", "cncb"),
])
def test_names_resolve(resolver, text, kind, expected):
    assert resolver.resolve(text, kind).id == expected


def test_ambiguous_names_list_the_candidates(resolver):
    answer = resolver.resolve("thành phố Cao Bằng", "area")
    assert answer.id is None and "có nhiều nghĩa" in answer.problem
    for id_ in ("thuc_phan", "nung_tri_cao", "tan_giang"):
        assert id_ in answer.problem and id_ in answer.expected
    assert "trung_khanh_to4" in resolver.resolve("Trùng Khánh", "system").problem


def test_unknown_names_suggest_the_closest(resolver):
    answer = resolver.resolve("Trung Khanh", "area")
    assert answer.id is None and "không có đô thị 'Trung Khanh'" in answer.problem
    assert "Trùng Khánh (trung_khanh)" in answer.expected


def test_aliases_point_to_known_ids(package):
    aliases = package.aliases
    known = {"area": set(package.urban_areas["area_id"]), "system": set(package.systems["system_id"]),
             "operator": set(package.operators["operator_id"])}
    for row in aliases.itertuples():
        assert row.target_id in known[row.kind]


def test_alias_to_unknown_id_is_located(data_copy):
    from capnuoc_model.data import io
    from capnuoc_model.data.errors import CapnuocInputError

    from .conftest import edit_cell

    line = edit_cell(data_copy / "aliases.csv", "alias_vi", "Hùng Quốc", "target_id", "tra_lin")
    with pytest.raises(CapnuocInputError) as info:
        io.load_package(data_copy)
    assert any(str(v).startswith(f"{data_copy / 'aliases.csv'}:{line}:target_id: mã 'tra_lin' không có trong urban_areas.csv")
               for v in info.value.violations)
