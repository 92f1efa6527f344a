"""Typed errors of the QA tooling; each message says what to do about it."""

from pipelines.errors import MeritgenError


class QAError(MeritgenError):
    """A QA command or request cannot be carried out (unknown round, unfinished round, bad input)."""


class PlaceholderError(QAError):
    """An edited query text does not keep the original `<image_k>` placeholders exactly."""


class DecisionError(QAError):
    """A decision is malformed (unknown action or reason, missing note, empty text)."""


class StoreLockedError(QAError):
    """The QA database is held by another process (usually a running `meritgen annotate`)."""
