"""Pure stages: Arrow tables + frozen parameters in, StageResult out. No I/O here."""
