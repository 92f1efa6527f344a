"""The generic step adapter: batch outputs concatenated equal the whole-table call."""

import apache_beam as beam
import pyarrow as pa
import pytest
from apache_beam.testing.util import assert_that, equal_to

from pipelines import schemas
from pipelines.beam.adapter import REJECTS, TALLY, RunStep
from pipelines.beam.failures import add_pairs
from pipelines.beam.pipeline import plan_for
from pipelines.beam.tables import ConcatTables, WholeTable
from pipelines.config import load_config
from pipelines.plan import Step
from pipelines.resources import DEMO_DIR
from pipelines.results import StageResult
from tests.beam.helpers import collect, read_rows


def _price_tag(products: pa.Table, prices: pa.Table) -> StageResult:
    """A shardable toy stage: each product row gets its category's price from a side table."""
    price = dict(zip(prices.column("category").to_pylist(), prices.column("price").to_pylist()))
    if "bad" in products.column("product_id").to_pylist():
        raise ValueError("poison row")
    tagged = products.append_column("price", pa.array([price[c] for c in products.column("category").to_pylist()]))
    return StageResult(outputs={"tagged": tagged}, counters={"tagged": tagged.num_rows})


TOY = Step("price_tag", "1", {"products": ("ingest", "products"), "prices": ("prices", "prices")}, _price_tag, "d", {},
           shard_by="products")
PRODUCTS = pa.table({"product_id": [f"p{i}" for i in range(7)], "category": ["a", "b", "a", "c", "b", "a", "c"]})
PRICES = pa.table({"category": ["a", "b", "c"], "price": [1.0, 2.5, 4.0]})


def _run_toy(products_batches, batch_rows, out):
    with beam.Pipeline() as p:
        batches = p | "Products" >> beam.Create(products_batches)
        prices = p | "Prices" >> beam.Create([PRICES])
        result = batches | RunStep(TOY, batch_rows, {"prices": prices}, outputs=["tagged"])
        collect(result["tagged"], out / "tagged", "CollectTagged")
        collect(result[REJECTS], out / "rejects", "CollectRejects")
        tally = (result[TALLY] | beam.CombinePerKey(add_pairs)
                 | beam.MapTuple(lambda step, n: pa.table({"step": [step], "rows_in": [n[0]], "failed": [n[1]]})))
        collect(tally, out / "tally", "CollectTally")
    return read_rows(out / "tagged", "product_id"), read_rows(out / "rejects"), read_rows(out / "tally")


@pytest.mark.parametrize("batch_rows", [1, 2, 3, 100])
def test_batches_concatenate_to_the_whole_table_call(tmp_path, batch_rows):
    whole = _price_tag(PRODUCTS, PRICES).outputs["tagged"].to_pylist()
    # Input arrives in uneven batches; the adapter re-cuts them to batch_rows.
    tagged, rejects, tally = _run_toy([PRODUCTS.slice(0, 5), PRODUCTS.slice(5)], batch_rows, tmp_path)
    assert tagged == whole and rejects == []
    assert tally == [{"step": "price_tag", "rows_in": 7, "failed": 0}]


def test_a_poison_row_costs_one_row_not_its_batch(tmp_path):
    products = pa.concat_tables([PRODUCTS, pa.table({"product_id": ["bad"], "category": ["a"]})])
    tagged, rejects, tally = _run_toy([products], 4, tmp_path)
    assert [r["product_id"] for r in tagged] == [f"p{i}" for i in range(7)]
    assert [(r["stage"], r["reason"], r["record_id"]) for r in rejects] == [("price_tag", "unexpected_error", "bad")]
    assert "poison row" in rejects[0]["message"] and "Traceback" in rejects[0]["raw"]
    assert tally == [{"step": "price_tag", "rows_in": 8, "failed": 1}]


def test_a_real_sharded_step_runs_unchanged_through_the_adapter(tmp_path):
    # render (mine became global in issue #10: brand spellings and evidence need the whole catalog)
    from tests.stages.test_render_negatives_split import PLAN

    render = next(s for s in plan_for(str(DEMO_DIR / "catalog.jsonl"), load_config()) if s.name == "render")
    plans = schemas.from_rows([{**PLAN, "base_query_id": f"q{i}"} for i in range(5)], "query_plan")
    whole = render.call(plans=plans)
    with beam.Pipeline() as p:
        result = p | beam.Create([plans]) | RunStep(render, 2, {})
        collect(result["queries"], tmp_path / "queries", "Collect_queries")
    expected = sorted(schemas.conform(whole.outputs["queries"], "query").to_pylist(), key=lambda r: r["query_id"])
    assert sorted(read_rows(tmp_path / "queries"), key=lambda r: r["query_id"]) == expected and expected


def test_whole_table_of_no_batches_is_an_empty_table_of_the_contract():
    fn = ConcatTables("attribute", ["product_id", "value"])
    empty = fn.extract_output(fn.create_accumulator())
    assert empty.num_rows == 0 and empty.column_names == ["product_id", "value"]
    with beam.Pipeline() as p:
        whole = p | beam.Create([]) | WholeTable("family")
        shape = whole | beam.Map(lambda t: (t.num_rows, t.schema.names))
        assert_that(shape, equal_to([(0, schemas.schema("family").names)]))


def test_batches_ship_only_their_own_rows():
    import pickle

    from pipelines.beam.tables import slices

    big = pa.table({"id": [f"q{i}" for i in range(50_000)], "text": ["some query text"] * 50_000})
    pieces = list(slices(big, 1000))
    assert pa.concat_tables(pieces).equals(big)
    # A zero-copy slice would pickle the parent's 50,000 rows each time.
    assert len(pickle.dumps(pieces[0])) < len(pickle.dumps(big)) / 20
