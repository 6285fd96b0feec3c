"""Checks and normal forms of the identifiers a referral carries: NHS number, UPN, postcode."""

from __future__ import annotations

import re

_NHS_WEIGHTS = range(10, 1, -1)
_NHS_SHAPE = re.compile(r"^\d{3}[ -]?\d{3}[ -]?\d{4}$")
# DfE Unique Pupil Number: a check letter, 11 digits, then a digit or (temporary UPN) letter.
_UPN_SHAPE = re.compile(r"^[A-Z]\d{11}[0-9A-Z]$")
# The UK postcode shapes (Royal Mail), including GIR 0AA; the space is optional on input.
_OUTWARD = r"[A-PR-UWYZ](\d{1,2}|[A-HK-Y]\d(\d|[ABEHMNPRV-Y])?|\d[A-HJKPS-UW])"
_POSTCODE_SHAPE = re.compile(rf"^(GIR ?0AA|{_OUTWARD} ?\d[ABD-HJLNP-UW-Z]{{2}})$")


def nhs_check_digit(nine_digits: str) -> int | None:
    """The modulus-11 check digit of the first nine digits; None when no digit is valid."""
    total = sum(
        int(digit) * weight for digit, weight in zip(nine_digits, _NHS_WEIGHTS, strict=True)
    )
    check = 11 - total % 11
    if check == 11:  # noqa: PLR2004 - the NHS algorithm's own constant
        return 0
    return None if check == 10 else check  # noqa: PLR2004 - 10 means no number is valid


def normalise_nhs_number(value: str) -> str:
    """The 10 digits of a valid NHS number; ``ValueError`` saying why otherwise."""
    if not _NHS_SHAPE.fullmatch(value.strip()):
        raise ValueError("an NHS number is 10 digits (spaces between groups allowed)")
    digits = re.sub(r"\D", "", value)
    if nhs_check_digit(digits[:9]) != int(digits[9]):
        raise ValueError(
            "this NHS number's check digit is wrong: please check it was typed correctly"
        )
    return digits


def normalise_upn(value: str) -> str:
    """A UPN in upper case; ``ValueError`` saying why if it is not one."""
    upn = value.strip().upper()
    if not _UPN_SHAPE.fullmatch(upn):
        raise ValueError(
            "a UPN is a letter, then 11 digits, then a digit or letter (13 characters)"
        )
    return upn


def normalise_postcode(value: str) -> str:
    """A UK postcode in upper case with one space before the inward code."""
    compact = re.sub(r"\s+", "", value).upper()
    if not _POSTCODE_SHAPE.fullmatch(compact):
        raise ValueError("this is not a UK postcode (for example TS18 1AB)")
    return f"{compact[:-3]} {compact[-3:]}"
