import pytest

from franchises.phones import InvalidPhone, normalize_phone, normalize_phone_or_none


@pytest.mark.parametrize(
    "raw",
    ["(555) 123-4567", "+1 555 123 4567", "5551234567", "555.123.4567", "1-555-123-4567", " +15551234567 "],
)
def test_it_reads_every_us_format_as_the_same_e164_number(raw):
    assert normalize_phone(raw, "US") == "+15551234567"


def test_it_uses_the_region_for_numbers_without_a_country_code():
    assert normalize_phone("020 7946 0018", "GB") == "+442079460018"
    assert normalize_phone("+44 20 7946 0018", "US") == "+442079460018"


@pytest.mark.parametrize("raw", ["", "   ", "hello", "123", "+1 555 123 45678 9999", "5" * 41, None])
def test_it_rejects_what_is_not_a_possible_number(raw):
    with pytest.raises(InvalidPhone):
        normalize_phone(raw, "US")
    assert normalize_phone_or_none(raw, "US") is None


def test_it_accepts_the_specs_555_numbers_that_are_possible_but_not_valid():
    assert normalize_phone("555-987-6543") == "+15559876543"
