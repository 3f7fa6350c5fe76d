"""Argument types shared by the training and tuning command lines (argparse calls them on the raw text)."""

from __future__ import annotations

import argparse

from rapgym.learning.held_out import EVAL_SEED_BASE

__all__ = ["positive_int", "training_seed"]


def positive_int(text: str) -> int:
    """An integer >= 1 (argparse reports a non-integer itself)."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def training_seed(text: str) -> int:
    """A training seed: an integer in ``[0, EVAL_SEED_BASE)`` (higher seeds are held out for evaluation)."""
    value = int(text)
    if not 0 <= value < EVAL_SEED_BASE:
        raise argparse.ArgumentTypeError(f"must be in [0, {EVAL_SEED_BASE}) (higher seeds are held out), got {text}")
    return value
