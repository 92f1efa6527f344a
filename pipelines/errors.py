"""Typed errors. Every raise carries a message a user can act on."""


class MeritgenError(Exception):
    """Base class for errors meritgen reports to the user without a traceback."""


class ConfigError(MeritgenError):
    """The configuration is invalid; raised before any work starts."""


class CatalogError(MeritgenError):
    """The catalog cannot be used at all (missing file, no valid row, unknown format)."""


class SchemaError(MeritgenError):
    """A table does not match its schema contract at a stage boundary."""


class ReproducibilityError(MeritgenError):
    """An invariant check failed (e.g. an exported positive set is not exact)."""


class PredictionsError(MeritgenError):
    """A predictions file given to `meritgen eval` cannot be read (names file, line and field)."""


class AuditFailed(MeritgenError):
    """The independent audit of a finished export failed: the run is not a success (the export is kept)."""


class NoValidProducts(CatalogError):
    """Not one catalog row is valid. Carries the stage's reject table, so the runner still writes it
    (the `rejects` view then shows why every row was refused)."""

    def __init__(self, message: str, rejects) -> None:
        super().__init__(message)
        self.rejects = rejects
