"""The styles shipped in models/styles: complete cards, small loadable weights, bars recorded."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("keras")

from stylecut.models import list_styles, load_stylizer, shipped_styles_dir  # noqa: E402
from stylecut.models.registry import StyleCard  # noqa: E402

SHIPPED = [c for c in list_styles() if c.card_path.parent == shipped_styles_dir()]
IDS = [c.name for c in SHIPPED]
# The models issue's per-style bars (ratios to Reinhard colour transfer, >= 50 held-out photos).
TEXTURE_MAX, COLOUR_MAX, STRUCTURE_MIN, DIVERSITY_MIN = 0.6, 1.5, 0.5, 0.6


def test_a_default_style_ships() -> None:
    assert SHIPPED, "models/styles holds no style"
    assert sum(bool(c.data.get("default")) for c in SHIPPED) == 1, IDS


@pytest.mark.parametrize("card", SHIPPED, ids=IDS)
def test_card_is_complete_and_meets_the_per_style_bars(card: StyleCard) -> None:
    data = card.data
    assert card.weights_path.stat().st_size < 10 * 2**20
    source = data["style_source"]
    assert source["file"] and source["licence"] and source["title"]
    training = data["training"]
    # ≤ 45 min on the 2 cores; a run that had only one of them (another run on the other) counts half
    cores = training.get("cores", 2)
    assert cores in (1, 2) and training["steps"] > 0 and training["command"]
    assert 0 < training["wall_time_s"] * cores / 2 <= 45 * 60
    evaluation = data["evaluation"]
    assert len(evaluation["held_out"]) >= 50
    # measured on all held-out photos, or on the test half that no setting was chosen on
    assert evaluation.get("split", "all") in ("all", "test")
    assert evaluation["images"] >= (25 if evaluation.get("split") == "test" else 50)
    ratios, output = evaluation["ratios"]["reinhard"], evaluation["output"]
    for part in ("texture", "colour", "stroke"):  # the ratios are the recorded distances' ratios
        assert ratios[part] == pytest.approx(output[part] / evaluation["baselines"]["reinhard"][part])
    assert ratios["texture"] <= TEXTURE_MAX and ratios["colour"] <= COLOUR_MAX
    assert output["structure"] >= STRUCTURE_MIN and output["diversity"] >= DIVERSITY_MIN
    assert "reinhard_noise" in evaluation["baselines"]  # the grain control is reported


@pytest.mark.parametrize("card", SHIPPED, ids=IDS)
def test_weights_load_and_stylize(card: StyleCard) -> None:
    stylizer = load_stylizer(card)
    frames = np.random.default_rng(0).integers(0, 256, (2, 37, 53, 3), dtype=np.uint8)
    out = stylizer.stylize(frames, np.array([1.0, 0.0], np.float32))
    assert out.shape == frames.shape and out.dtype == np.uint8
    assert np.array_equal(out[1], frames[1])  # strength 0 is the input
    assert np.abs(out[0].astype(int) - frames[0]).mean() > 2  # strength 1 repaints it


def test_the_shipped_set_meets_the_mean_bars() -> None:
    """The models issue's set bars: mean texture and mean stroke distance ≤ 0.5× Reinhard's."""
    assert len(SHIPPED) >= 4, IDS
    ratios = [c.data["evaluation"]["ratios"]["reinhard"] for c in SHIPPED]
    assert sum(r["texture"] for r in ratios) / len(ratios) <= 0.5
    assert sum(r["stroke"] for r in ratios) / len(ratios) <= 0.5


@pytest.mark.parametrize("card", [c for c in SHIPPED if "tone_anchor" in c.data], ids=lambda c: c.name)
def test_tone_anchor_is_recorded_in_the_commands(card: StyleCard) -> None:
    """A card's evaluation was made with its tone anchor: the command that made it says so."""
    strength = card.data["tone_anchor"]["strength"]
    assert f"--tone-anchor {strength:g}" in card.data["training"]["command"]
    assert load_stylizer(card).tone_anchor.strength == strength


@pytest.mark.parametrize("card", SHIPPED, ids=IDS)
def test_no_band_along_the_frame_edges(card: StyleCard) -> None:
    """Frame-to-frame-independent check of the edges: the mean change between neighbouring rows
    (columns) in the outer 3 rows (columns), over the interior's, is no more than the photo's
    own plus 0.25 (the fast styles painted a striped band along the top without the margin)."""
    from pathlib import Path

    import cv2

    content = Path(__file__).resolve().parents[2] / "shared" / "data" / "content"
    files = sorted(content.glob("*.jpg"))[:6] if content.is_dir() else []
    if not files:
        pytest.skip(f"no photos in {content}")
    stylizer = load_stylizer(card)

    def bands(image: np.ndarray) -> np.ndarray:
        g = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)
        rows, cols = np.abs(np.diff(g, axis=0)).mean(axis=1), np.abs(np.diff(g, axis=1)).mean(axis=0)
        r, c = rows[40:-40].mean(), cols[40:-40].mean()
        return np.array([rows[:3].mean() / r, rows[-3:].mean() / r,
                         cols[:3].mean() / c, cols[-3:].mean() / c])

    photos = [cv2.resize(cv2.cvtColor(cv2.imread(str(f)), cv2.COLOR_BGR2RGB), (320, 180),
                         interpolation=cv2.INTER_AREA) for f in files]
    styled = stylizer.stylize(np.stack(photos), np.ones(len(photos), np.float32))
    excess = np.mean([bands(s) for s in styled], 0) - np.mean([bands(p) for p in photos], 0)
    assert np.all(excess <= 0.25), dict(zip(("top", "bottom", "left", "right"), excess.round(2), strict=True))
