"""README's Dataflow recipes run as written: the launcher's install, the image, the job graph (#26).

The two `beam run` commands of README "Scale-out on Apache Beam" (CPU, and GPU workers with
`llm.backend = "beam_vllm"`) are run as the README writes them, with `P`/`B` filled in and
`--dry_run True` added, in a process without Google credentials: Dataflow's runner builds the
whole job graph and submits nothing.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tomllib
from importlib.metadata import requires, version
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCKERFILE = (ROOT / "pipelines" / "beam" / "Dockerfile").read_text(encoding="utf-8")
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT, BUCKET = "my-project-123", "my-bucket-123"


def _extra(name: str) -> dict[str, str]:
    """{package: version spec} of a pyproject extra."""
    out = {}
    for requirement in PYPROJECT["project"]["optional-dependencies"][name]:
        package, spec = re.match(r"([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?\s*(.*)", requirement).groups()
        out[package.lower()] = spec.replace(" ", "")
    return out


def test_the_gpu_extra_pins_what_beams_own_vllm_extra_pins():
    beams = {}
    for requirement in requires("apache-beam") or []:
        if re.search(r"""extra\s*==\s*["']vllm["']""", requirement):
            package, spec = re.match(r"([A-Za-z0-9_.-]+)\s*([^;]*)", requirement).groups()
            beams[package.lower()] = spec.replace(" ", "")
    assert "openai" in beams and "vllm" in beams, beams
    assert _extra("gpu") == beams


def test_the_launcher_gets_the_images_beam_and_python_and_openai():
    beam_version = re.search(r"ARG BEAM_VERSION=(\S+)", DOCKERFILE).group(1)
    python = re.search(r"FROM apache/beam_python(\d+\.\d+)_sdk", DOCKERFILE).group(1)
    launcher = _extra("dataflow")
    assert launcher["apache-beam"] == f"=={beam_version}" == f"=={version('apache-beam')}"
    assert launcher["openai"] == _extra("gpu")["openai"]  # Beam's vLLM handler imports it on the launcher
    assert f'python{python} -m venv .venv && . .venv/bin/activate && pip install -e ".[dataflow]"' in README
    assert f"apache/beam_python{python}_sdk" in README


def _dockerignored() -> set[str]:
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    return {line.strip().rstrip("/") for line in lines if line.strip() and not line.startswith("#")}


def test_the_image_holds_what_the_installed_package_names_and_the_context_leaves_the_rest_out():
    copied = set(re.findall(r"^COPY (\S+) ", DOCKERFILE, re.M))
    packages = {pattern.rstrip("*") for pattern in PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]}
    entry_modules = {target.split(":")[0].split(".")[0] for group in PYPROJECT["project"]["entry-points"].values()
                     for target in group.values()}
    entry_modules |= {target.split(":")[0].split(".")[0] for target in PYPROJECT["project"]["scripts"].values()}
    needed = packages | entry_modules | {"schemas", "prompts"}  # read beside the package (pipelines/resources.py)
    assert needed <= copied, f"the image lacks {sorted(needed - copied)}"
    ignored = _dockerignored()
    assert not (copied | {"models", "pyproject.toml", "README.md"}) & ignored
    assert {".git", ".venv", "runs"} <= ignored


def _recipe_commands() -> dict[str, list[str]]:
    """The README's `beam run` commands for Dataflow, as argv after `beam` (placeholders filled in)."""
    commands = {}
    for block in re.findall(r"```bash\n(.*?)```", README, re.S):
        joined = block.replace("\\\n", " ")
        for line in joined.splitlines():
            if "--runner DataflowRunner" not in line or " beam run " not in f" {line} ":
                continue
            argv = shlex.split(line.split(" beam run ", 1)[1])
            argv = [_filled(arg) for arg in argv]
            commands["gpu" if "llm.backend=beam_vllm" in argv else "cpu"] = argv
    return commands


def _filled(arg: str) -> str:
    if arg == "P":
        return PROJECT
    return arg.replace("gs://B/", f"gs://{BUCKET}/").replace("/P/", f"/{PROJECT}/")


def test_the_readme_has_both_dataflow_recipes_and_the_gpu_one_sizes_its_workers():
    commands = _recipe_commands()
    assert set(commands) == {"cpu", "gpu"}
    gpu = commands["gpu"]
    assert gpu[gpu.index("--machine_type") + 1].startswith("g2-")  # an L4 machine type
    assert int(gpu[gpu.index("--disk_size_gb") + 1]) > 25  # image + weights over Dataflow's default boot disk


@pytest.mark.slow  # Dataflow's runner translates ~1,300 transforms: ~30 s each on this machine
@pytest.mark.parametrize("recipe", ["cpu", "gpu"])
def test_the_readme_dataflow_recipe_builds_its_job_graph_without_a_cloud(recipe, tmp_path):
    pytest.importorskip("apache_beam.io.gcp.gcsio", reason="needs the launcher's packages: pip install -e '.[dataflow]'")
    pytest.importorskip("openai", reason="needs the launcher's packages: pip install -e '.[dataflow]'")
    argv = _recipe_commands()[recipe]
    # No credentials: no Google variables, a HOME and gcloud config without application-default credentials.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOOGLE_", "CLOUDSDK_", "GCE_"))}
    env.update(HOME=str(tmp_path), CLOUDSDK_CONFIG=str(tmp_path / "gcloud"), PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "pipelines.runners.cli", "beam", "run", *argv, "--dry_run", "True"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-4000:]
    found = re.search(r"dry run: the Dataflow job graph was built \((\d+) transforms, (\d+) RunInference; "
                      r"workers run (\S+)\)", " ".join(done.stderr.split()))  # the CLI talks on stderr
    assert found, done.stderr[-4000:]
    transforms, run_inference, image = int(found.group(1)), int(found.group(2)), found.group(3)
    assert transforms > 500
    assert image == argv[argv.index("--sdk_container_image") + 1]
    if recipe == "gpu":  # the recipe's LLM steps (rewrite, translate, and judge: llm.judge=true) through RunInference
        assert run_inference == 3
    assert "was read or written" in done.stderr and "BeamIOError" not in done.stderr
