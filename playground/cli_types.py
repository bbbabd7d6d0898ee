"""The CLI's argument types: each refuses a bad value with a sentence that names the limit, before
any work starts (argparse prints it as one line and exits 2)."""
from __future__ import annotations

import argparse


def number(text: str) -> float:
    """A finite number."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"must be a finite number, not {text}")
    return value


def positive(text: str) -> float:
    value = number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, not {text}")
    return value


def non_negative(text: str) -> float:
    value = number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {text}")
    return value


def fraction(text: str) -> float:
    """0 or more and below 1 (a dropout, a held-out share)."""
    value = non_negative(text)
    if value >= 1:
        raise argparse.ArgumentTypeError(f"must be below 1, not {text}")
    return value


def seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"must be between 0 and 2^63 - 1, not {text}")
    return value


def bounded(most: int, least: int = 1):
    """A whole number from `least` to `most`, the limit named when refused."""
    def whole(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if value < least:
            raise argparse.ArgumentTypeError(f"must be at least {least}, not {text}")
        if value > most:
            raise argparse.ArgumentTypeError(f"must be at most {most:,}, not {value:,}")
        return value
    whole.__name__ = "whole number"  # what argparse calls it in its messages
    return whole


def add_names(parser) -> None:
    """--names FILE: a word list instead of the shipped names."""
    parser.add_argument("--names", metavar="FILE",
                        help="word list, one word per line (default: the shipped names list)")
