"""`meritgen audit RUN`: an independent check of a finished export (see checks.py)."""
