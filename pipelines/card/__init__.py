"""The data card: rendered from a run's report, config and exported tables (`render.py`), its sections, counts and plots, written by `writer.py` for every runner."""
