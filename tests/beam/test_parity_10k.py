"""At 10K synthetic products (five languages, retrieval on) the Beam build on the DirectRunner with
two worker processes exports the local build's dataset, every column of every row (#26 item 1).

The demo parity test checks every output at 335 products; this one runs at a size where Beam cuts
every step into many batches, attempt ranges and files (`batch_files`), as a large build does."""

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from benchmarks.make_catalog import make_products, write_catalog
from pipelines.beam.run import run_beam_build
from pipelines.config import load_config
from pipelines.runners.local import run_build
from tests.beam.helpers import DIRECT_MULTI

pytestmark = pytest.mark.slow  # two builds of 10K products: about 3 minutes here; CI runs it

PRODUCTS = 10_000
LANGUAGES = ["en", "ms", "id", "vi", "th"]


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    work = tmp_path_factory.mktemp("parity10k")
    catalog = work / "catalog.parquet"
    write_catalog(make_products(PRODUCTS, 0), catalog)
    cfg = load_config(overrides={"render.languages": LANGUAGES})
    local = run_build(catalog, work / "local", cfg, run_id="bench", progress=False)
    beam = run_beam_build(str(catalog), str(work / "beam"), cfg, DIRECT_MULTI, run_id="bench")
    return Path(local.run_dir) / "export", Path(beam.run_root) / "export"


def _table(export: Path, parts: str, key: str) -> pa.Table:
    files = sorted((export / "data" / parts).glob("*.parquet"))
    return pa.concat_tables([pq.read_table(f) for f in files]).sort_by(key)


def test_every_query_row_and_column_is_the_local_builds(builds):
    local, beam = (_table(export, "queries", "query_id") for export in builds)
    assert local.num_rows > 10_000 and set(local.column("language").to_pylist()) == set(LANGUAGES)
    assert beam.equals(local)


def test_every_product_row_and_column_is_the_local_builds(builds):
    local, beam = (_table(export, "products", "product_id") for export in builds)
    assert local.num_rows > 9_000
    assert beam.equals(local)

