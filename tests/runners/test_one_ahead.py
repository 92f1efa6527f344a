"""`parallel.one_ahead`: each item is started before the one before it is finished, results in order."""

from pipelines.runners.parallel import one_ahead


def _trace(items):
    events = []

    def start(item):
        events.append(("start", item))
        return item

    def finish(item):
        events.append(("finish", item))
        return item * 10

    return list(one_ahead(items, start, finish)), events


def test_results_in_order_each_item_started_before_the_previous_is_finished():
    results, events = _trace([1, 2, 3])
    assert results == [10, 20, 30]
    assert events == [("start", 1), ("start", 2), ("finish", 1), ("start", 3), ("finish", 2), ("finish", 3)]


def test_a_generator_a_list_and_nothing():
    assert _trace(x for x in [4, 5])[0] == [40, 50]
    assert _trace([7])[0] == [70]
    assert _trace([]) == ([], [])
