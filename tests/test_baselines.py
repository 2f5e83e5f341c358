"""Tests of the EF-LSTM, LF-LSTM and MulT baselines and of entry-point registration."""

from __future__ import annotations

import sys
import textwrap

import numpy as np
import pytest
import torch

import mtagbench.registry as registry
from mtagbench import create_model, get_model_spec, list_models
from mtagbench.data.sample import Sample, collate
from mtagbench.errors import ConfigError, DataError

FEATURE_SIZES = {"text": 6, "audio": 3, "vision": 4}
SMALL_OPTIONS = {
    "ef-lstm": {"hidden_size": 8, "align_hidden_size": 4, "max_target_steps": 16, "head_hidden_size": 8, "dropout": 0.0},
    "lf-lstm": {"hidden_size": 8, "head_hidden_size": 8, "dropout": 0.0},
    "mult": {"embed_dim": 8, "num_heads": 2, "num_layers": 1, "embed_dropout": 0.0, "res_dropout": 0.0,
             "relu_dropout": 0.0, "attn_dropout": 0.0},
}
PADDING_CASES = [
    ("ef-lstm", {"align": "ctc"}),
    ("ef-lstm", {"align": "pool"}),
    ("lf-lstm", {}),
    ("lf-lstm", {"bidirectional": True, "num_layers": 2}),
    ("mult", {"future_mask": True}),
    ("mult", {"future_mask": False}),
]


@pytest.fixture(autouse=True)
def single_thread():
    """Run these tiny models on one thread; on a shared CPU that is faster than several."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def make_sample(rng: np.random.Generator, index: int, lengths: tuple[int, int, int], sizes=FEATURE_SIZES) -> Sample:
    """Random features; the label is the mean of text channel 0 plus the mean of audio channel 0."""
    features = {
        modality: rng.normal(size=(length, size)).astype(np.float32)
        for (modality, size), length in zip(sizes.items(), lengths)
    }
    label = sum(float(features[m][:, 0].mean()) if len(features[m]) else 0.0 for m in ("text", "audio"))
    return Sample(id=f"s{index}", features=features, label=np.array([label], dtype=np.float32))


def make_batch(seed: int, count: int):
    rng = np.random.default_rng(seed)
    samples = [
        make_sample(rng, i, (int(rng.integers(2, 8)), int(rng.integers(3, 15)), int(rng.integers(3, 12))))
        for i in range(count)
    ]
    return collate(samples)


def build(name: str, output_dim: int = 1, **extra):
    torch.manual_seed(0)
    return create_model(name, feature_sizes=FEATURE_SIZES, output_dim=output_dim, **{**SMALL_OPTIONS[name], **extra})


@pytest.mark.parametrize("name", ["ef-lstm", "lf-lstm", "mult"])
def test_training_reduces_loss(name):
    batch = make_batch(seed=1, count=12)
    model = build(name)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)

    losses = []
    for _ in range(25):
        optimizer.zero_grad()
        loss = torch.nn.functional.l1_loss(model(batch).reshape(-1), batch.labels.reshape(-1))
        loss.backward()
        optimizer.step()
        losses.append(loss.item())

    assert losses[-1] < 0.6 * losses[0]


@pytest.mark.parametrize(("name", "options"), PADDING_CASES)
def test_padding_changes_nothing(name, options):
    rng = np.random.default_rng(2)
    short = make_sample(rng, 0, (3, 5, 4))
    long = make_sample(rng, 1, (15, 40, 30))
    model = build(name, **options).eval()

    with torch.no_grad():
        alone = model(collate([short]))
        padded = model(collate([short, long]))[:1]
        padded_first = model(collate([long, short]))[1:]

    assert torch.allclose(alone, padded, atol=1e-5)
    assert torch.allclose(alone, padded_first, atol=1e-5)


@pytest.mark.parametrize("name", ["ef-lstm", "lf-lstm", "mult"])
def test_empty_modality_finite(name):
    rng = np.random.default_rng(3)
    samples = [make_sample(rng, 0, (0, 5, 4)), make_sample(rng, 1, (4, 0, 3)), make_sample(rng, 2, (3, 6, 0))]
    model = build(name)

    outputs = model(collate(samples))
    outputs.sum().backward()

    assert outputs.shape == (3, 1)
    assert torch.isfinite(outputs).all()
    for parameter in model.parameters():
        assert parameter.grad is None or torch.isfinite(parameter.grad).all()


def test_empty_batch_modality_finite():
    rng = np.random.default_rng(4)
    samples = [make_sample(rng, i, (3, 0, 4)) for i in range(2)]
    for name in ("ef-lstm", "lf-lstm", "mult"):
        outputs = build(name).eval()(collate(samples))
        assert torch.isfinite(outputs).all(), name


def test_lf_lstm_empty_modality_zero_state():
    rng = np.random.default_rng(5)
    with_audio = make_sample(rng, 0, (3, 4, 5))
    without_audio = Sample(id="x", features={**with_audio.features, "audio": np.zeros((0, 3), np.float32)}, label=with_audio.label)
    model = build("lf-lstm").eval()

    with torch.no_grad():
        outputs = model(collate([without_audio]))
        text_state = torch.cat([
            model.lstms["text"](torch.from_numpy(with_audio.features["text"])[None])[1][0][-1],
            torch.zeros(1, 8),
            model.lstms["vision"](torch.from_numpy(with_audio.features["vision"])[None])[1][0][-1],
        ], dim=-1)
        expected = model.head(text_state)

    assert torch.allclose(outputs, expected, atol=1e-6)


@pytest.mark.parametrize(("name", "output_dim"), [(n, d) for n in ("ef-lstm", "lf-lstm", "mult") for d in (1, 8)])
def test_create_model_output_shape(name, output_dim):
    batch = make_batch(seed=6, count=5)
    model = create_model(name, feature_sizes=FEATURE_SIZES, output_dim=output_dim)

    outputs = model(batch)

    assert outputs.shape == (5, output_dim)
    assert model.feature_sizes == FEATURE_SIZES
    assert model.output_dim == output_dim


@pytest.mark.parametrize("name", ["ef-lstm", "lf-lstm", "mult"])
def test_model_spec_declarations(name):
    spec = get_model_spec(name)

    assert spec.tasks == ("regression", "multilabel")
    assert spec.needs_aligned is False
    assert spec.max_modalities is None
    assert spec.source.startswith("mtagbench_baselines.")


def test_mult_needs_two_modalities():
    with pytest.raises(ConfigError, match="2 to any number"):
        create_model("mult", feature_sizes={"text": 6})


def test_mult_heads_must_divide_width():
    with pytest.raises(ConfigError, match="does not divide"):
        create_model("mult", feature_sizes=FEATURE_SIZES, embed_dim=30, num_heads=4)


def test_unknown_option_rejected():
    with pytest.raises(ConfigError, match="hidden-size"):
        create_model("lf-lstm", feature_sizes=FEATURE_SIZES, hiden_size=3)


def test_parameter_count_lf_lstm():
    model = create_model("lf-lstm", feature_sizes={"text": 6, "audio": 3}, hidden_size=4, head_hidden_size=5)

    # An LSTM layer has 4H(I + H) weights and two bias vectors of 4H.
    text_lstm = 4 * 4 * (6 + 4) + 2 * 4 * 4  # 192
    audio_lstm = 4 * 4 * (3 + 4) + 2 * 4 * 4  # 144
    head = (8 * 5 + 5) + (5 * 1 + 1)  # 51
    assert sum(p.numel() for p in model.parameters()) == text_lstm + audio_lstm + head == 387


def test_parameter_count_ef_lstm():
    options = {"hidden_size": 4, "align_hidden_size": 2, "max_target_steps": 7, "head_hidden_size": 5}
    ctc = create_model("ef-lstm", feature_sizes=FEATURE_SIZES, align="ctc", **options)
    pool = create_model("ef-lstm", feature_sizes=FEATURE_SIZES, align="pool", **options)

    audio_aligner = (4 * 2 * (3 + 2) + 2 * 4 * 2) + (2 * 7 + 7)  # LSTM(3, 2) + Linear(2, 7) = 77
    vision_aligner = (4 * 2 * (4 + 2) + 2 * 4 * 2) + (2 * 7 + 7)  # LSTM(4, 2) + Linear(2, 7) = 85
    fusion = 4 * 4 * (13 + 4) + 2 * 4 * 4  # LSTM(6 + 3 + 4, 4) = 304
    head = (4 * 5 + 5) + (5 * 1 + 1)  # 31
    assert sum(p.numel() for p in ctc.parameters()) == audio_aligner + vision_aligner + fusion + head == 497
    assert sum(p.numel() for p in pool.parameters()) == fusion + head == 335


def mult_parameters(sizes: list[int], d: int, layers: int, output_dim: int = 1) -> int:
    """MulT's parameter count written out: projections, crossmodal and self-attention stacks, head."""
    m = len(sizes)
    layer = lambda w: (4 * w * w + 4 * w) + (w * 4 * w + 4 * w) + (4 * w * w + w) + 2 * (2 * w)  # attention, fc1, fc2, 2 LN
    projections = sum(0 if size == d else size * d for size in sizes)
    crossmodal = m * (m - 1) * (layers * layer(d) + 2 * d)
    memory = (m - 1) * d
    self_attention = m * (max(layers, 3) * layer(memory) + 2 * memory)
    combined = m * memory
    head = 2 * (combined * combined + combined) + (combined * output_dim + output_dim)
    return projections + crossmodal + self_attention + head


def test_parameter_count_mult_small():
    model = create_model("mult", feature_sizes=FEATURE_SIZES, embed_dim=4, num_heads=2, num_layers=1)

    # d = 4: projections 6*4 + 3*4 = 36 (vision already has width 4, so it is not projected); six 1-layer crossmodal stacks of 12d^2 + 13d + 2d = 252;
    # three 3-layer self-attention stacks at width 8 of 3 * (12*64 + 13*8) + 16 = 2632;
    # head on 24 features: 2 * (24*24 + 24) + 25 = 1225.
    assert sum(p.numel() for p in model.parameters()) == 36 + 6 * 252 + 3 * 2632 + 1225 == 10669
    assert mult_parameters([6, 3, 4], d=4, layers=1) == 10669


def test_parameter_count_mult_mosi():
    mosi = {"text": 300, "audio": 5, "vision": 20}
    defaults = create_model("mult", feature_sizes=mosi)
    paper = create_model("mult", feature_sizes=mosi, embed_dim=40, num_layers=6, num_heads=4)

    assert sum(p.numel() for p in defaults.parameters()) == mult_parameters([300, 5, 20], 30, 5) == 1_071_211
    assert sum(p.numel() for p in paper.parameters()) == mult_parameters([300, 5, 20], 40, 6) == 2_240_921


def test_mult_faithful_matches_masked_without_padding():
    rng = np.random.default_rng(7)
    batch = collate([make_sample(rng, i, (4, 9, 6)) for i in range(3)])
    masked = build("mult").eval()
    faithful = build("mult", padding_mask=False).eval()

    with torch.no_grad():
        assert torch.allclose(masked(batch), faithful(batch), atol=1e-5)


def test_mult_faithful_attends_padding():
    rng = np.random.default_rng(8)
    short = make_sample(rng, 0, (3, 5, 4))
    long = make_sample(rng, 1, (15, 40, 30))
    model = build("mult", padding_mask=False).eval()

    with torch.no_grad():
        alone = model(collate([short]))
        padded = model(collate([short, long]))[:1]

    assert not torch.allclose(alone, padded, atol=1e-4)


def test_mult_two_and_four_modalities():
    sizes = {"text": 6, "audio": 3, "vision": 4, "extra": 5}
    rng = np.random.default_rng(9)
    batch = collate([make_sample(rng, i, (3, 4, 5, 2), sizes) for i in range(2)])
    two = create_model("mult", feature_sizes={"text": 6, "audio": 3}, embed_dim=8, num_heads=2, num_layers=1)
    four = create_model("mult", feature_sizes=sizes, embed_dim=8, num_heads=2, num_layers=1)

    assert len(two.crossmodal) == 2
    assert len(four.crossmodal) == 12
    assert four(batch).shape == (2, 1)
    assert sum(p.numel() for p in four.parameters()) == mult_parameters([6, 3, 4, 5], d=8, layers=1)


def test_ef_lstm_pool_equals_none_when_aligned():
    rng = np.random.default_rng(10)
    batch = collate([make_sample(rng, 0, (5, 5, 5)), make_sample(rng, 1, (3, 3, 3))])
    pool = build("ef-lstm", align="pool").eval()
    none = build("ef-lstm", align="none").eval()

    with torch.no_grad():
        assert torch.allclose(pool(batch), none(batch), atol=1e-6)


def test_ef_lstm_none_rejects_unaligned():
    model = build("ef-lstm", align="none")

    with pytest.raises(DataError, match="align='ctc'"):
        model(make_batch(seed=11, count=3))


def test_ef_lstm_ctc_rejects_long_text():
    rng = np.random.default_rng(12)
    model = build("ef-lstm", max_target_steps=4)

    with pytest.raises(DataError, match="max-target-steps"):
        model(collate([make_sample(rng, 0, (6, 3, 3))]))


def test_window_average_hand_case():
    from mtagbench_baselines.alignment import window_average_align

    source = torch.arange(1.0, 6.0).reshape(1, 5, 1)  # steps 1..5
    aligned = window_average_align(source, torch.tensor([5]), torch.tensor([2]), target_steps=3)

    # L_s = 5, L_t = 2: window 0 is steps 0..2, window 1 is steps 2..4, step 2 is padding.
    assert aligned[0, :, 0].tolist() == [2.0, 4.0, 0.0]


def test_entry_point_model_listed(tmp_path, monkeypatch):
    module = tmp_path / "outside_tiny_model.py"
    module.write_text(textwrap.dedent("""
        from dataclasses import dataclass
        import torch
        from mtagbench.registry import register_model

        @dataclass(frozen=True)
        class TinyOptions:
            pass

        @register_model("outside-tiny", options=TinyOptions, description="a model from another package")
        class Tiny(torch.nn.Module):
            def __init__(self, feature_sizes, output_dim, options):
                super().__init__()
                self.feature_sizes, self.output_dim, self.options = feature_sizes, output_dim, options
    """))
    dist_info = tmp_path / "outside_tiny-0.1.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: outside-tiny\nVersion: 0.1\n")
    (dist_info / "entry_points.txt").write_text("[mtagbench.models]\ntiny = outside_tiny_model\n")

    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(registry, "_entry_points_loaded", False)
    monkeypatch.setattr(registry, "_MODELS", dict(registry._MODELS))
    monkeypatch.delitem(sys.modules, "outside_tiny_model", raising=False)

    names = list_models()

    assert "outside-tiny" in names
    assert "mult" in names
    assert get_model_spec("outside-tiny").source == "outside_tiny_model"
    sys.modules.pop("outside_tiny_model", None)
