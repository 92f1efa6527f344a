"""The server-side placeholder check on edited query text."""

import pytest

from annotation_ui.edits import check_placeholders, edited_row
from annotation_ui.errors import PlaceholderError

ORIGINAL = "Find shoes like <image_1> in the colour of <image_2>."


def test_an_edit_that_keeps_placeholders_passes_trimmed():
    assert check_placeholders(ORIGINAL, "  Shoes  shaped like <image_1>,\n coloured like <image_2>. ") == \
        "Shoes shaped like <image_1>, coloured like <image_2>."
    assert check_placeholders("Red shoes for men.", "Red men's shoes.") == "Red men's shoes."


@pytest.mark.parametrize("edited, message", [
    ("Shoes like <image_1>.", "missing <image_2>"),
    ("Shoes like <image_1>, <image_2> and <image_3>.", "unexpected <image_3>"),
    ("Shoes like <image_1> <image_1> in <image_2>.", "unexpected <image_1>"),
    ("Colour of <image_2>, shape of <image_1>.", "order changed"),
    ("Shoes like <image_1> in the colour of <image 2>.", "missing <image_2>"),
    ("Shoes like <image_1> in the colour of <image_2> or <Image_3>.", "malformed placeholder"),
    ("   ", "empty"),
    ("x" * 2001, "too long"),
])
def test_an_edit_that_breaks_placeholders_is_refused_with_a_clear_message(edited, message):
    with pytest.raises(PlaceholderError, match=message):
        check_placeholders(ORIGINAL, edited)


def test_edited_row_rebuilds_segments():
    row = {"text": ORIGINAL, "images": [{"image_id": "aa11", "product_id": "1"}, {"image_id": "bb22", "product_id": "2"}],
           "segments": []}
    out = edited_row(row, "Like <image_1> and <image_2>")
    assert [s["kind"] for s in out["segments"]] == ["text", "image", "text", "image"]
    assert [s["image_id"] for s in out["segments"] if s["kind"] == "image"] == ["aa11", "bb22"]
    assert out["text"] == "Like <image_1> and <image_2>" and row["text"] == ORIGINAL
