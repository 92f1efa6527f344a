"""meritgen: build multilingual, multi-condition interleaved image+text retrieval datasets."""

__version__ = "0.1.0"
