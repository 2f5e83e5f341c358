import math

import numpy as np
import pandas as pd
import pytest

from mtagbench.data.sample import Sample
from mtagbench.errors import DataError
from mtagbench.explain import (
    edge_frame,
    edge_type_table,
    edge_type_totals,
    find_sample,
    graph_layout,
    modality_pair_table,
    pair_matrices,
    resolve_layer,
    top_edges,
    totals_frame,
)
from mtagbench.explain.layout import row_order
from tests.explain_cases import WORDS, hand_built_attention, two_sample_attention


def row(table: pd.DataFrame, layer: int, edge_type: int) -> pd.Series:
    return table[(table["layer"] == layer) & (table["edge_type"] == edge_type)].iloc[0]


def test_table_layout_rows_and_names():
    table = edge_type_table(hand_built_attention())
    assert len(table) == 2 * 12
    assert table["layer"].tolist() == [1] * 12 + [2] * 12
    assert tuple(row(table, 1, 7)[["source", "target", "tau"]]) == ("audio", "text", "present")
    assert tuple(row(table, 1, 5)[["source", "target", "tau"]]) == ("text", "audio", "future")


def test_table_layer1_hand_computed():
    table = edge_type_table(hand_built_attention())
    expected = {
        # type: (edges before, edges after, mass before, mass kept)
        0: (1, 0, 0.125, 0.0),
        1: (2, 2, 0.875, 0.875),
        2: (1, 1, 0.25, 0.25),
        4: (2, 1, 0.375, 0.1875),
        7: (2, 2, 0.75, 0.75),
        10: (1, 1, 0.625, 0.625),
    }
    for edge_type, (before, after, mass, kept) in expected.items():
        values = row(table, 1, edge_type)
        assert values["edges_before"] == before, edge_type
        assert values["edges_after"] == after, edge_type
        assert values["mass_before"] == mass, edge_type
        assert values["mass_kept"] == kept, edge_type
        assert values["mass_share"] == mass / 3.0, edge_type


def test_table_layer1_rates():
    table = edge_type_table(hand_built_attention())
    assert row(table, 1, 4)["edge_keep_rate"] == 0.5
    assert row(table, 1, 4)["mass_keep_rate"] == 0.5
    assert row(table, 1, 0)["mass_keep_rate"] == 0.0
    assert row(table, 1, 1)["mean_weight"] == 0.4375


def test_table_empty_types_are_zero():
    table = edge_type_table(hand_built_attention())
    empty = row(table, 1, 3)
    assert empty["edges_before"] == 0
    assert empty["mass_before"] == 0.0
    assert math.isnan(empty["mass_keep_rate"])
    assert math.isnan(empty["mean_weight"])


def test_table_total_mass_counts_targets():
    table = edge_type_table(hand_built_attention())
    for layer in (1, 2):
        assert table[table["layer"] == layer]["mass_before"].sum() == 3.0
        assert table[table["layer"] == layer]["mass_share"].sum() == pytest.approx(1.0)


def test_table_layer2_hand_computed():
    table = edge_type_table(hand_built_attention())
    assert row(table, 2, 0)["edges_before"] == 0
    assert row(table, 2, 1)["mass_before"] == 1.0
    assert row(table, 2, 7)["mass_before"] == 0.75
    assert row(table, 2, 4)["edges_after"] == 0
    assert row(table, 2, 4)["mass_before"] == 0.125
    assert row(table, 2, 10)["mass_kept"] == 0.875


def test_table_edges_after_feed_next_layer():
    table = edge_type_table(hand_built_attention())
    after = table[table["layer"] == 1]["edges_after"].to_numpy()
    before = table[table["layer"] == 2]["edges_before"].to_numpy()
    assert (after == before).all()


def test_totals_batch_equals_twice_sample():
    single = edge_type_totals(hand_built_attention())
    batch = edge_type_totals(two_sample_attention())
    assert single.num_samples == 1
    assert batch.num_samples == 2
    assert np.array_equal(batch.mass_before, 2 * single.mass_before)
    assert np.array_equal(batch.edges_after, 2 * single.edges_after)


def test_totals_per_sample_average():
    single = edge_type_totals(hand_built_attention())
    summed = single + single + single
    averaged = totals_frame(summed, per_sample=True)
    plain = totals_frame(single)
    assert summed.num_samples == 3
    assert averaged.attrs["num_samples"] == 3
    assert np.allclose(averaged["mass_before"], plain["mass_before"])
    assert np.allclose(averaged["edges_after"], plain["edges_after"])
    assert np.allclose(averaged["mass_share"], plain["mass_share"])


def test_totals_reject_other_modalities():
    single = edge_type_totals(hand_built_attention())
    other = edge_type_totals(hand_built_attention())
    other.modalities = ("text", "vision")
    with pytest.raises(ValueError, match="cannot add"):
        single + other


def test_sample_of_batch_matches_single():
    table = edge_type_table(two_sample_attention().sample(1))
    expected = edge_type_table(hand_built_attention())
    assert table.equals(expected)


def test_pair_table_sums_over_tau():
    pairs = modality_pair_table(edge_type_table(hand_built_attention()))
    text_text = pairs[(pairs["layer"] == 1) & (pairs["source"] == "text") & (pairs["target"] == "text")].iloc[0]
    assert len(pairs) == 2 * 4
    assert text_text["edges_before"] == 4
    assert text_text["mass_before"] == 1.25
    assert text_text["mass_kept"] == 1.125
    assert text_text["mass_keep_rate"] == 0.9


def test_edge_frame_columns_and_weights():
    edges = edge_frame(hand_built_attention(), 0)
    assert len(edges) == 9
    assert edges["weight"].tolist() == [0.375, 0.25, 0.375, 0.5, 0.125, 0.375, 0.625, 0.1875, 0.1875]
    assert edges.loc[2, "source"] == "audio"
    assert edges.loc[2, "target_step"] == 0
    assert edges.loc[4, "tau"] == "past"
    assert edges["kept"].tolist() == [True, True, True, True, False, True, True, True, False]


def test_edge_frame_negative_layer():
    edges = edge_frame(hand_built_attention(), -1)
    assert len(edges) == 7


def test_edge_frame_layer_out_of_range():
    with pytest.raises(IndexError, match="0 to 1"):
        edge_frame(hand_built_attention(), 2)


def test_top_edges_skip_self_loops():
    edges = edge_frame(hand_built_attention(), 0)
    assert top_edges(edges, 3).index.tolist() == [2, 5, 1]
    assert top_edges(edges, 5).index.tolist() == [2, 5, 1, 7, 8]


def test_top_edges_with_self_loops():
    edges = edge_frame(hand_built_attention(), 0)
    assert top_edges(edges, 2, include_self_loops=True).index.tolist() == [6, 3]


def test_top_edges_more_than_available():
    edges = edge_frame(hand_built_attention(), 0)
    assert len(top_edges(edges, 100)) == 6


def test_top_edges_rejects_zero():
    with pytest.raises(ValueError, match="at least 1"):
        top_edges(edge_frame(hand_built_attention(), 0), 0)


def test_pair_matrices_layer1():
    matrices = pair_matrices(hand_built_attention(), 0)
    assert set(matrices) == {("text", "text"), ("text", "audio"), ("audio", "text"), ("audio", "audio")}
    assert np.array_equal(matrices[("text", "text")], [[0.375, 0.25], [0.125, 0.5]])
    assert np.array_equal(matrices[("audio", "text")], [[0.375], [0.375]])
    assert np.array_equal(matrices[("text", "audio")], [[0.1875, 0.1875]])
    assert np.array_equal(matrices[("audio", "audio")], [[0.625]])


def test_pair_matrices_missing_edges_nan():
    matrix = pair_matrices(hand_built_attention(), 1)[("text", "text")]
    assert math.isnan(matrix[1, 0])
    assert matrix[1, 1] == 0.5


def test_layout_positions_and_rows():
    layout = graph_layout(hand_built_attention(), WORDS)
    assert layout.lengths == {"text": 2, "audio": 1}
    assert layout.x("text", 1) == 0.75
    assert layout.x("audio", 0) == 0.5
    assert layout.node_label("text", 1) == "text[1] 'enjoyed'"
    assert layout.node_label("audio", 0) == "audio[0]"


def test_layout_rejects_word_count():
    with pytest.raises(ValueError, match="3 words for 2 text steps"):
        graph_layout(hand_built_attention(), ("a", "b", "c"))


def test_row_order_text_in_middle():
    assert row_order(("text", "audio", "vision")) == ("audio", "text", "vision")
    assert row_order(("audio", "text")) == ("text", "audio")
    assert row_order(("audio", "vision")) == ("audio", "vision")


def test_resolve_layer_numbers_from_one():
    assert resolve_layer(None, 6) == 5
    assert resolve_layer(1, 6) == 0
    with pytest.raises(ValueError, match="numbered 1 to 6"):
        resolve_layer(7, 6)
    with pytest.raises(ValueError, match="numbered 1 to 6"):
        resolve_layer(0, 6)


def _samples(ids):
    return [Sample(id=i, features={}, label=np.zeros(1, np.float32)) for i in ids]


def test_find_sample_returns_match():
    samples = _samples(["abc[0]", "abc[1]"])
    assert find_sample(samples, "abc[1]", "valid") is samples[1]


def test_find_sample_missing_suggests():
    samples = _samples([f"WKA5OygbEKI[{i}]" for i in range(12)])
    with pytest.raises(DataError) as error:
        find_sample(samples, "WKA5OygbEKI[3", "test")
    message = str(error.value)
    assert "no sample 'WKA5OygbEKI[3' in the 'test' split (12 samples)" in message
    assert "did you mean 'WKA5OygbEKI[3]'" in message
    assert "'WKA5OygbEKI[0]', 'WKA5OygbEKI[1]'" in message
    assert "and 7 more" in message
