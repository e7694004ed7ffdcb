"""Tracking numbers: carrier detection, check digits, tracking pages.

Valid numbers are generated here from the published algorithms, written again independently of
``litdesk.domain.tracking`` so that a slip in either shows; published examples are checked too.
"""

from __future__ import annotations

import random
import string

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from litdesk.domain.tracking import (
    FORMATS,
    Carrier,
    carrier_named,
    check,
    normalize,
    tracking_url,
)

# --- the algorithms, written again for the tests ---------------------------------------------


def gs1(data: str) -> str:
    weights = [3, 1] * len(data)
    total = sum(int(d) * w for d, w in zip(reversed(data), weights, strict=False))
    return str((10 - total % 10) % 10)


def ups(body: str) -> str:
    """``body``: the 15 characters after 1Z."""
    values = [int(c) if c.isdigit() else (ord(c) - ord("A") + 2) % 10 for c in body]
    odd = sum(values[0::2])
    even = sum(values[1::2])
    return str((10 - (odd + 2 * even) % 10) % 10)


def fedex12(data: str) -> str:
    weights = [1, 3, 7] * 4
    total = sum(int(d) * w for d, w in zip(reversed(data), weights, strict=False))
    return str(total % 11 % 10)


def dhl(data: str) -> str:
    return str(int(data) % 7)


def s10(serial: str) -> str:
    total = sum(int(d) * w for d, w in zip(serial, (8, 6, 4, 2, 3, 5, 9, 7), strict=True))
    value = 11 - total % 11
    return "0" if value == 10 else "5" if value == 11 else str(value)


def digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(n))


def make(kind: str, rng: random.Random) -> str:
    """A valid number of ``kind``, built from random digits."""
    alnum = string.ascii_uppercase + string.digits
    match kind:
        case "ups":
            body = "".join(rng.choice(alnum) for _ in range(8)) + digits(rng, 7)
            return "1Z" + body + ups(body)
        case "fedex12":
            data = digits(rng, 11)
            return data + fedex12(data)
        case "fedex15":
            data = digits(rng, 14)
            return data + gs1(data)
        case "fedex96":
            data = digits(rng, 14)
            return "96" + digits(rng, 5) + data + gs1(data)
        case "usps20":
            data = digits(rng, 19)
            return data + gs1(data)
        case "usps22":
            data = rng.choice(["92", "93", "94"]) + digits(rng, 19)
            return data + gs1(data)
        case "usps26":
            data = "92" + digits(rng, 23)
            return data + gs1(data)
        case "usps420":
            data = "94" + digits(rng, 19)
            return "420" + digits(rng, rng.choice([5, 9])) + data + gs1(data)
        case "dhl":
            data = digits(rng, 9)
            return data + dhl(data)
        case "s10":
            serial = digits(rng, 8)
            return ("".join(rng.choice(string.ascii_uppercase) for _ in range(2)) + serial
                    + s10(serial) + rng.choice(["DE", "FR", "GB", "US", "CN"]))
    raise AssertionError(kind)


CARRIER_OF = {
    "ups": Carrier.UPS, "fedex12": Carrier.FEDEX, "fedex15": Carrier.FEDEX,
    "fedex96": Carrier.FEDEX, "usps20": Carrier.USPS, "usps22": Carrier.USPS,
    "usps26": Carrier.USPS, "usps420": Carrier.USPS, "dhl": Carrier.DHL, "s10": Carrier.POSTAL,
}
KINDS = sorted(CARRIER_OF)
# Where the check digit sits, from the end (S10 puts the country after it).
CHECK_FROM_END = {"s10": 3}


def check_index(kind: str, number: str) -> int:
    return len(number) - CHECK_FROM_END.get(kind, 1)


# --- published examples ----------------------------------------------------------------------

PUBLISHED_VALID = [
    ("1Z879E930346834440", Carrier.UPS),
    ("1ZXX3150YW44070023", Carrier.UPS),          # letters in the service characters
    ("1Z999AA10123456784", Carrier.UPS),
    ("986578788855", Carrier.FEDEX),
    ("477179081230", Carrier.FEDEX),
    ("0414 4176 0228 964", Carrier.FEDEX),
    ("9611020987654312345672", Carrier.FEDEX),
    ("9400 1112 0108 0805 4830 16", Carrier.USPS),
    ("9361 2898 7870 0317 6337 95", Carrier.USPS),
    ("0307 1790 0005 2348 3741", Carrier.USPS),
    ("92748931507708513018050063", Carrier.USPS),
    ("420 22153 9101026837331000039521", Carrier.USPS),
    ("4201002334249200190132607600833457", Carrier.USPS),
    ("3318810025", Carrier.DHL),
    ("8487135506", Carrier.DHL),
    ("JJD0099999999", Carrier.DHL),
    ("RA123456785DE", Carrier.POSTAL),
    ("RB123456785GB", Carrier.POSTAL),
]


@pytest.mark.parametrize(("number", "carrier"), PUBLISHED_VALID)
def test_published_examples_are_valid(number: str, carrier: Carrier) -> None:
    result = check(number)
    assert (result.carrier, result.valid, result.problem) == (carrier, True, "")
    assert result.number == normalize(number)


@pytest.mark.parametrize(("number", "carrier", "expected"), [
    ("1Z879E930346834441", "UPS", 0),
    ("996578788855", "FedEx", 6),
    ("5682 8361 0012 732", "FedEx", 4),
    ("9400 1112 0108 0805 4830 17", "USPS", 6),
    ("3318810010", "DHL", 4),
    ("RA123456784DE", "postal", 5),
])
def test_a_wrong_check_digit_is_explained(number: str, carrier: str, expected: int) -> None:
    result = check(number)
    assert not result.valid
    assert result.problem == (f"The check digit of this {carrier} number is wrong "
                              f"(expected {expected}).")


@pytest.mark.parametrize("kind", KINDS)
def test_generated_numbers_are_valid_and_their_carrier_is_found(kind: str) -> None:
    rng = random.Random(kind)
    for _ in range(200):
        number = make(kind, rng)
        result = check(number)
        assert result.valid, (number, result)
        assert result.carrier is CARRIER_OF[kind]


@pytest.mark.parametrize("kind", KINDS)
def test_every_other_check_digit_is_refused(kind: str) -> None:
    rng = random.Random(kind)
    for _ in range(20):
        number = make(kind, rng)
        at = check_index(kind, number)
        for digit in set(string.digits) - {number[at]}:
            wrong = number[:at] + digit + number[at + 1:]
            result = check(wrong)
            assert not result.valid, wrong
            assert result.carrier is CARRIER_OF[kind]
            assert f"(expected {number[at]})" in result.problem


def test_lower_case_spaces_and_dashes_are_normalized() -> None:
    assert normalize("  1z 879e-9303 4683 4440\t") == "1Z879E930346834440"
    assert normalize("ra\u00a0123\u2009456\u2013785 de") == "RA123456785DE"
    result = check(" 1z879e93 0346834440 ")
    assert result.valid
    assert result.number == "1Z879E930346834440"


ARABIC_DIGITS = "\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669\u0660"
FULLWIDTH_S10 = "".join(chr(ord(c) + 0xFEE0) for c in "RA123456785DE")


@pytest.mark.parametrize("text", ["", "   ", "-", "hello", "1Z", "1Z879E93034683444",
                                  "12345", "\u20ac\u20ac", ARABIC_DIGITS, FULLWIDTH_S10,
                                  "9" * 61, "1Z" + "9" * 5000, "\x00\x01",
                                  "\U0001f69a\U0001f4e6"])
def test_garbage_is_not_a_tracking_number(text: str) -> None:
    result = check(text)
    assert not result.valid
    assert result.carrier is None
    assert result.problem.endswith(".")
    assert len(result.problem) < 200


def test_unrecognised_number_gets_the_sentence_listing_what_is_known() -> None:
    assert check("ABC123").problem == (
        "Not a tracking number LitDesk recognises (UPS 1Z…, FedEx, USPS, DHL, or a postal S10 "
        "code like RA123456785DE).")
    assert check("").problem == "No tracking number was given."


@given(st.text())
@example("1z\u00df")  # ß upper-cases to SS
@example("\u0130")  # İ lower/upper round trips change length
def test_check_never_raises(text: str) -> None:
    result = check(normalize(text))
    assert isinstance(result.valid, bool)
    assert result.valid == (result.problem == "")
    assert check(text) == result


# GS1's weights 3 and 1 are prime to 10, so every single wrong digit changes the check: the
# formats that use it over all their digits catch any one changed digit.
FULLY_COVERED = ["fedex15", "usps20", "usps22", "usps26"]


@given(kind=st.sampled_from(FULLY_COVERED), seed=st.integers(0, 2**32),
       position=st.integers(0, 40), delta=st.integers(1, 9))
def test_one_changed_digit_is_never_valid(kind: str, seed: int, position: int,
                                          delta: int) -> None:
    number = make(kind, random.Random(seed))
    # The first two digits of a 22/26-digit USPS number are its format (91 to 95); changing
    # them makes another shape (a 96... number is FedEx's, checked over its last 15 only).
    first = 2 if kind in ("usps22", "usps26") else 0
    at = first + position % (len(number) - first)
    changed = number[:at] + str((int(number[at]) + delta) % 10) + number[at + 1:]
    assert not check(changed).valid, (number, changed)


@given(kind=st.sampled_from(KINDS), seed=st.integers(0, 2**32), position=st.integers(0, 40),
       delta=st.integers(1, 9))
def test_a_changed_digit_passes_only_in_its_algorithms_blind_spot(
        kind: str, seed: int, position: int, delta: int) -> None:
    """The weaker check digits (mod 7, UPS's 1-2 weights, mod 11 folded to one digit) miss some
    single changes; whatever passes must be such a change, as the reference says."""
    number = make(kind, random.Random(seed))
    places = [i for i, c in enumerate(number) if c.isdigit()]
    at = places[position % len(places)]
    changed = number[:at] + str((int(number[at]) + delta) % 10) + number[at + 1:]
    result = check(changed)
    if result.valid and result.format == check(number).format:
        assert blind_spot(kind, number, changed), (number, changed)


def blind_spot(kind: str, number: str, changed: str) -> bool:
    at = next(i for i, (a, b) in enumerate(zip(number, changed, strict=True)) if a != b)
    step = (int(changed[at]) - int(number[at])) % 10
    match kind:
        case "dhl":
            return abs(int(changed[at]) - int(number[at])) == 7
        case "ups":
            return step == 5 and (at - 2) % 2 == 1
        case "fedex12":
            return number[-1] == "0"  # remainders 0 and 10 both give 0
        case "s10":
            return number[10] == "5"  # 11 - sum % 11 of 5 and 11 both give 5
        case "fedex96":
            return at < 7  # its check digit covers the last 15 digits only
        case "usps420":
            return at < len(number) - 22  # the routing prefix has no check digit
    return False


def test_blind_spots_are_what_the_published_algorithms_allow() -> None:
    # Documented so that nobody "fixes" the rules into something the carriers do not use.
    assert check("3318810025").valid
    assert check("3388810025").valid
    assert check("1Z879E930346834440").valid
    assert check("1Z879E930346884440").valid


def test_every_format_of_the_table_has_a_generated_example() -> None:
    rng = random.Random(1)
    covered = {check(make(kind, rng)).format for kind in KINDS} | {"DHL Express piece"}
    assert covered >= {f.name for f in FORMATS}


# --- carriers by name, tracking pages ----------------------------------------------------------

@pytest.mark.parametrize(("text", "carrier"), [
    ("UPS", Carrier.UPS), (" fedex ", Carrier.FEDEX), ("Fed-Ex", Carrier.FEDEX),
    ("usps", Carrier.USPS), ("DHL Express", Carrier.DHL), ("postal", Carrier.POSTAL),
    ("DPD", Carrier.OTHER), ("La Poste", Carrier.OTHER), ("", None), ("  ", None),
])
def test_carrier_named(text: str, carrier: Carrier | None) -> None:
    assert carrier_named(text) is carrier


def test_tracking_urls() -> None:
    assert tracking_url(Carrier.UPS, "1z879e930346834440") == \
        "https://www.ups.com/track?tracknum=1Z879E930346834440"
    assert tracking_url(Carrier.FEDEX, "986578788855") == \
        "https://www.fedex.com/fedextrack/?trknbr=986578788855"
    assert tracking_url(Carrier.USPS, "9400 1112 0108 0805 4830 16") == \
        "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400111201080805483016"
    url = tracking_url(Carrier.DHL, "3318810025")
    assert url is not None
    assert url.startswith("https://www.dhl.com/")
    assert url.endswith("tracking-id=3318810025")
    assert tracking_url(Carrier.POSTAL, "RA123456785US") == \
        "https://tools.usps.com/go/TrackConfirmAction?tLabels=RA123456785US"
    assert tracking_url(Carrier.POSTAL, "RA123456785FR") == \
        "https://www.laposte.fr/outils/suivre-vos-envois?code=RA123456785FR"
    assert tracking_url(Carrier.POSTAL, "RA123456785ZZ") is None
    assert tracking_url(Carrier.OTHER, "ABC") is None
    assert tracking_url(Carrier.UPS, "  ") is None


def test_tracking_urls_quote_what_they_are_given() -> None:
    url = tracking_url(Carrier.UPS, "a&b=c#d/e")
    assert url == "https://www.ups.com/track?tracknum=A%26B%3DC%23D%2FE"
