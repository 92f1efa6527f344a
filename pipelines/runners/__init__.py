"""The runners of the build plan on one machine: the local runner (`local`, with its process pool
`parallel`), the Prefect flows (`prefect_build`, `prefect_beam`: Beam submission) and the command
line (`cli`). The Beam pipeline itself lives in `pipelines/beam`. Runners sit above the plan
(`pipelines/plan`), which never imports them (import-linter).
"""
