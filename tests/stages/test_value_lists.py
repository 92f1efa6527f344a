from pipelines.stages.value_lists import ListedValue, covering_value, listed_value

_FORMS = {"men": "men", "women": "women", "unisex": "unisex", "boys": "boys", "girls": "girls", "top": "top",
          "pyjama set": "pyjama set", "fit": "fit"}
_ALSO = {"unisex": ["men", "women"]}


def _listed(raw):
    return listed_value(raw, lambda part: _FORMS.get(part.strip().lower()), _ALSO)


def test_hard_separators_split_when_two_parts_are_known():
    assert _listed("Men, Women") == ListedValue(("men", "women"), "unisex")
    assert _listed("Boys; Girls | Men") == ListedValue(("boys", "girls", "men"), None)
    assert _listed("Men, Women, something else") == ListedValue(("men", "women"), "unisex")
    assert _listed("Men, a gift") is None  # one known part is no list


def test_soft_separators_split_only_when_every_part_is_known():
    assert _listed("Men and Women") == ListedValue(("men", "women"), "unisex")
    assert _listed("Boys & Girls") == ListedValue(("boys", "girls"), None)
    assert _listed("Top & Pyjama Set") == ListedValue(("top", "pyjama set"), None)
    assert _listed("Fit and Flare") is None  # "flare" is not a value: one value, not a list
    assert _listed("Men") is None


def test_a_list_inside_a_hard_part_is_read_too():
    assert _listed("Boys & Girls, Men") == ListedValue(("boys", "girls", "men"), None)


def test_the_covering_value_meets_every_part_and_the_narrowest_wins():
    also = {"unisex": ["men", "women"], "everyone": ["men", "women", "boys", "girls"]}
    assert covering_value(("men", "women"), also) == "unisex"
    assert covering_value(("men", "boys"), also) == "everyone"
    assert covering_value(("unisex", "men"), also) == "unisex"
    assert covering_value(("men", "men"), also) == "men"
    assert covering_value(("boys", "girls"), {"unisex": ["men", "women"]}) is None


def test_head_words_name_a_value_only_when_the_words_before_them_name_none():
    from pipelines.vocab.vocabulary import head_value

    forms = {"blue": "blue", "black": "black", "navy blue": "navy", "green": "green", "leather": "leather"}
    assert head_value("aurora blue", forms) == "blue"
    assert head_value("deep navy blue", forms) == "navy"  # the longest ending wins
    assert head_value("genuine leather", forms) == "leather"
    assert head_value("black green", forms) is None
    assert head_value("blue", forms) is None  # one word: no head to read (exact forms are matched before)
    assert head_value("blue sky", forms) is None
    assert head_value(" ".join(["x"] * 6 + ["blue"]), forms) is None  # no value name is that long
