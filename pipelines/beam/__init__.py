"""The build as an Apache Beam pipeline (DirectRunner here, Dataflow at scale).

Every transform calls the same pure stage functions as the local runner, through the build
plan in `pipelines/plan/`; nothing here re-implements stage logic. See ARCHITECTURE.md in
this folder for the data flow, the side inputs and their size limits.
"""
