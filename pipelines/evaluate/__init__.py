"""`meritgen eval`: score a retriever's rankings against a finished export.

`metrics.py` is pure (rankings + query rows in, sums and report rows out); `predictions.py` reads
and writes the predictions file (schemas/v1/predictions.json); `baselines.py` ranks with the
project's own retrievers (BM25, BM25 with captions, dense); `report.py` renders the tables;
`command.py` is the CLI; `card.py` is the card's per-condition table.
"""
