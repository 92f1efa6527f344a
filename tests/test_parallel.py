"""The multi-process executor gives exactly the serial stage's output for any worker count."""

import pytest

from pipelines import parallel
from pipelines.config import ComposeConfig, NegativesConfig
from pipelines.stages import compose, negatives
from tests.stages.test_compose import _catalog


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_parallel_compose_and_negatives_equal_serial(vocab, workers):
    prods, attrs, fams, _ = _catalog(150)
    params = compose.ComposeParams(ComposeConfig(max_positive_share=0.05, queries_per_product=2), vocab, 5)
    serial = compose.compose_queries(prods, attrs, fams, params)
    par = parallel.compose_queries(prods, attrs, fams, params, workers)
    assert par.outputs["plans"].equals(serial.outputs["plans"])
    assert par.rejects.equals(serial.rejects) and par.counters == serial.counters

    from pipelines.config import RenderConfig
    from pipelines.stages.render import RenderParams, render_queries
    from pipelines.templates import load_templates

    queries = render_queries(serial.outputs["plans"], RenderParams(RenderConfig(languages=("en", "th")),
                                                                     load_templates("v2", ("en", "th")), 5)).outputs["queries"]
    nparams = negatives.NegativesParams(NegativesConfig(per_query=5), 5)
    a = negatives.mine_overlap_negatives(queries, prods, attrs, fams, nparams)
    b = parallel.mine_overlap_negatives(queries, prods, attrs, fams, nparams, workers)
    assert a.outputs["queries"].equals(b.outputs["queries"]) and a.counters == b.counters
