"""Human QA of generated queries: sample rounds, annotate in a browser, apply decisions to the export.

Pure logic (sampling, assignment, agreement, placeholder checks, applying decisions) lives in
modules without I/O; `store`, `round_data`, `images`, `apply` and the FastAPI app are adapters.
"""
