"""Tracking numbers: which carrier a number belongs to, and whether its check digit is right.

A small table (``FORMATS``) of the formats LitDesk knows, each a regular expression over the
normalized number and the rule that computes its check digit from the published algorithms:

* **UPS** ``1Z`` + 6 shipper characters + 2 service characters + 7 package digits + check
  digit. Letters count as digits the UPS way (``(ord(letter) - 63) % 10``: A=2, B=3 … I=0, J=1…);
  odd positions weigh 1 and even ones 2, mod 10.
* **FedEx Express**, 12 digits: weights 1, 3, 7 repeating from the right, mod 11, then 10 → 0.
* **FedEx Ground**, 15 digits, and the 22-digit ``96…`` Ground barcode (whose check digit covers
  only its last 14 digits): mod 10 with weights 3, 1 from the right (the GS1/USS-128 rule).
* **USPS** IMpb, 20, 22 (``91`` to ``95``) and 26 digits, and the 22-digit one behind the ``420``
  + ZIP (5 or 9 digits) routing prefix of the full barcode (30 or 34 digits; the prefix has no
  check digit): the GS1 mod 10 over every digit of the IMpb before the check.
* **DHL Express** waybills, 10 digits: the first nine digits as a number, mod 7. Its piece
  labels ``JJD…``/``JVGL…`` carry no check digit and are accepted by shape.
* **UPU S10** international postal items: 2 letters + 8 digits + check digit + 2-letter country;
  weights 8, 6, 4, 2, 3, 5, 9, 7, ``11 - sum % 11``, then 10 → 0 and 11 → 5.

Decisions
---------
* **No package.** ``tracking-numbers`` on PyPI (the one that covers these carriers, generated
  from the ``tracking_number_data`` definitions) has had no release since 2022; the rules are
  short enough to own.
* **Order and ambiguity.** Formats are tried in table order and the first whose *shape* fits
  decides: UPS, S10, DHL piece labels (letters first), then by length — DHL (10), FedEx Express
  (12), FedEx Ground (15), USPS (20, 22 ``91`` to ``95``, 26, ``420``-prefixed 30/34), FedEx Ground
  (22, ``96``). Shapes are chosen so that no two formats share one, so the check digit never has
  to break a tie and a wrong check digit can be reported against the one carrier the shape
  names. For that reason two forms with a check rule of their own are left out: a 20-digit
  ``00`` SSCC-18 (the same digits and the same GS1 check as a 20-digit USPS number, so it reads
  as USPS) and FedEx SmartPost's 20-digit form with an implied ``92`` (a second check rule on the
  USPS shape would pass one random 20-digit number in five and hide typing errors).
* **What a check digit catches.** The GS1 rule (USPS, FedEx Ground) catches every single wrong
  digit. The others have blind spots of their own algorithm, kept as published: mod 7 (DHL)
  misses a digit off by 7, UPS's 1-2 weighting misses a digit off by 5 in an even position (and
  letters that map to the same digit), and the mod 11 rules that fold two remainders onto one
  digit (FedEx Express 10 → 0, S10 11 → 5) miss a change between those two.
* **Normalization** removes every kind of space and dash (a copied number often has non-breaking
  spaces, and spreadsheets turn ``-`` into an en dash) and upper-cases.
* ``Carrier.OTHER`` is never detected: it stands for a carrier the person named that LitDesk has
  no rules for (``carrier_named("DPD")``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import quote

MAX_LENGTH = 60  # the server's limit for a stored tracking number


class Carrier(StrEnum):
    """The carriers LitDesk recognises; the values are what a person reads."""

    UPS = "UPS"
    FEDEX = "FedEx"
    USPS = "USPS"
    DHL = "DHL"
    POSTAL = "Postal"
    OTHER = "Other"


@dataclass(frozen=True)
class TrackingCheck:
    """What ``check`` found: the normalized number, its carrier (``None`` when no known format
    fits), whether it is valid, and if not, a sentence for the person who typed it."""

    number: str
    carrier: Carrier | None
    valid: bool
    problem: str = ""
    format: str = ""  # the format's name, e.g. "USPS IMpb"; "" when none fits


CheckRule = Callable[[str], int]


@dataclass(frozen=True)
class Format:
    """One row of the table: ``pattern`` must match the whole normalized number and name the
    groups ``data`` (what the check digit covers) and ``check``; ``rule`` is ``None`` for a
    format without a check digit."""

    carrier: Carrier
    name: str
    pattern: re.Pattern[str]
    rule: CheckRule | None


# --- check digit rules ---------------------------------------------------------------------------

def gs1_mod10(data: str) -> int:
    """GS1 / USS-128: weights 3, 1, 3… from the rightmost digit, the check tops up to 10."""
    total = sum(int(c) * (3 if i % 2 == 0 else 1) for i, c in enumerate(reversed(data)))
    return -total % 10


def ups_value(char: str) -> int:
    """UPS counts a letter as a digit: A=2, B=3 … H=9, I=0, J=1 …"""
    return int(char) if char.isdigit() else (ord(char) - 63) % 10


def ups_mod10(data: str) -> int:
    total = sum(ups_value(c) * (2 if i % 2 else 1) for i, c in enumerate(data))
    return -total % 10


def fedex_mod11(data: str) -> int:
    weights = (1, 3, 7)
    total = sum(int(c) * weights[i % 3] for i, c in enumerate(reversed(data)))
    return total % 11 % 10


def dhl_mod7(data: str) -> int:
    return int(data) % 7


S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)


def s10_mod11(data: str) -> int:
    check = 11 - sum(int(c) * w for c, w in zip(data, S10_WEIGHTS, strict=True)) % 11
    return {10: 0, 11: 5}.get(check, check)


# --- the table -----------------------------------------------------------------------------------

def _format(carrier: Carrier, name: str, pattern: str, rule: CheckRule | None) -> Format:
    return Format(carrier, name, re.compile(pattern), rule)


_IMPB = r"(?P<data>9[1-5]\d{19}|9[1-5]\d{23})(?P<check>\d)"

FORMATS: tuple[Format, ...] = (
    _format(Carrier.UPS, "UPS", r"1Z(?P<data>[0-9A-Z]{8}\d{7})(?P<check>\d)", ups_mod10),
    _format(Carrier.POSTAL, "UPU S10",
            r"[A-Z]{2}(?P<data>\d{8})(?P<check>\d)(?P<country>[A-Z]{2})", s10_mod11),
    _format(Carrier.DHL, "DHL Express piece", r"J[A-Z]{2,3}\d{9,10}", None),
    _format(Carrier.DHL, "DHL Express", r"(?P<data>\d{9})(?P<check>\d)", dhl_mod7),
    _format(Carrier.FEDEX, "FedEx Express", r"(?P<data>\d{11})(?P<check>\d)", fedex_mod11),
    _format(Carrier.FEDEX, "FedEx Ground", r"(?P<data>\d{14})(?P<check>\d)", gs1_mod10),
    _format(Carrier.USPS, "USPS", r"(?P<data>\d{19})(?P<check>\d)", gs1_mod10),
    _format(Carrier.USPS, "USPS IMpb", _IMPB, gs1_mod10),
    _format(Carrier.USPS, "USPS IMpb (routing)",
            r"420(?:\d{5}|\d{9})(?P<data>9[1-5]\d{19})(?P<check>\d)", gs1_mod10),
    _format(Carrier.FEDEX, "FedEx Ground 96", r"96\d{5}(?P<data>\d{14})(?P<check>\d)",
            gs1_mod10),
)

_UNRECOGNISED = ("Not a tracking number LitDesk recognises (UPS 1Z…, FedEx, USPS, DHL, or a "
                 "postal S10 code like RA123456785DE).")
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212]+")
_PLAIN = re.compile(r"[0-9A-Z]+")


def normalize(text: str) -> str:
    """The number as stored and compared: no spaces or dashes anywhere, upper case."""
    return _SEPARATORS.sub("", text).upper()


def find_format(number: str) -> Format | None:
    """The first format of the table whose shape fits the normalized ``number``."""
    if not _PLAIN.fullmatch(number):
        return None
    return next((f for f in FORMATS if f.pattern.fullmatch(number)), None)


def check(text: str) -> TrackingCheck:
    """Normalize ``text``, find its carrier and verify its check digit."""
    number = normalize(text)
    if not number:
        return TrackingCheck(number, None, False, "No tracking number was given.")
    if len(number) > MAX_LENGTH:
        return TrackingCheck(number, None, False,
                             f"A tracking number is at most {MAX_LENGTH} characters long.")
    fmt = find_format(number)
    if fmt is None:
        return TrackingCheck(number, None, False, _UNRECOGNISED)
    problem = _check_digit_problem(fmt, number)
    return TrackingCheck(number, fmt.carrier, not problem, problem, fmt.name)


def _check_digit_problem(fmt: Format, number: str) -> str:
    if fmt.rule is None:
        return ""
    match = fmt.pattern.fullmatch(number)
    assert match is not None  # find_format matched this very pattern
    expected = fmt.rule(match["data"])
    if int(match["check"]) == expected:
        return ""
    label = "postal" if fmt.carrier is Carrier.POSTAL else fmt.carrier.value
    return f"The check digit of this {label} number is wrong (expected {expected})."


def is_valid(text: str) -> bool:
    return check(text).valid


# --- carriers by name and tracking pages ---------------------------------------------------------

_NAMES: dict[str, Carrier] = {
    "ups": Carrier.UPS, "unitedparcelservice": Carrier.UPS,
    "fedex": Carrier.FEDEX, "federalexpress": Carrier.FEDEX, "fedexground": Carrier.FEDEX,
    "fedexexpress": Carrier.FEDEX,
    "usps": Carrier.USPS, "unitedstatespostalservice": Carrier.USPS,
    "dhl": Carrier.DHL, "dhlexpress": Carrier.DHL,
    "postal": Carrier.POSTAL, "s10": Carrier.POSTAL,
}


def carrier_named(text: str) -> Carrier | None:
    """The carrier a person wrote (``" fedex "``, ``"Fed-Ex"``): ``None`` for nothing written,
    ``Carrier.OTHER`` for a carrier LitDesk has no rules for (``"DPD"``, ``"La Poste"``)."""
    key = re.sub(r"[^0-9a-z]", "", text.casefold())
    if not key:
        return None
    return _NAMES.get(key, Carrier.OTHER)


_TRACKING_PAGES: dict[Carrier, str] = {
    Carrier.UPS: "https://www.ups.com/track?tracknum={}",
    Carrier.FEDEX: "https://www.fedex.com/fedextrack/?trknbr={}",
    Carrier.USPS: "https://tools.usps.com/go/TrackConfirmAction?tLabels={}",
    Carrier.DHL: "https://www.dhl.com/global-en/home/tracking/tracking-express.html"
                 "?submit=1&tracking-id={}",
}
# A postal item is followed on the page of the operator that posted it: the S10 country.
_POSTAL_PAGES: dict[str, str] = {
    "US": _TRACKING_PAGES[Carrier.USPS],
    "FR": "https://www.laposte.fr/outils/suivre-vos-envois?code={}",
    "GB": "https://www.royalmail.com/track-your-item#/tracking-results/{}",
    "DE": "https://www.deutschepost.de/de/s/sendungsverfolgung.html?piececode={}",
}


def tracking_url(carrier: Carrier, number: str) -> str | None:
    """The carrier's public tracking page for ``number``; ``None`` when there is none to link
    (an other carrier, a postal item from a country without a known page, no number)."""
    number = normalize(number)
    if not number:
        return None
    if carrier is Carrier.POSTAL:
        template = _POSTAL_PAGES.get(number[-2:]) if len(number) >= 2 else None
    else:
        template = _TRACKING_PAGES.get(carrier)
    return template.format(quote(number, safe="")) if template else None
