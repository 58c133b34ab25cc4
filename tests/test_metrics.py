"""Tests for the no-pretrained-network quality metrics and the Reinhard baseline."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from stylecut.core.colour_transfer import add_gaussian_noise, reinhard_transfer
from stylecut.core.errors import MediaError
from stylecut.core.metrics import (
    QualityReport,
    ShiftEquivariance,
    StaticFlicker,
    StyleDistance,
    diversity_ratio,
    evaluate_outputs,
    grid_pattern_ratio,
    mean_structure_score,
    resize_short_side,
    shift_equivariance_error,
    static_flicker,
    stroke_distance,
    structure_score,
    style_distance,
)

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def field(
    seed: int, h: int = 180, w: int = 240, cell: int = 20, tint=(1.0, 1.0, 1.0)
) -> np.ndarray:
    """A smooth random colour image (no fine texture)."""
    r = np.random.default_rng(seed).random((h // cell + 1, w // cell + 1, 3)).astype(np.float32)
    r = cv2.resize(r, (w, h), interpolation=cv2.INTER_CUBIC) * np.asarray(tint, np.float32)
    return (np.clip(r, 0, 1) * 255).astype(np.uint8)


def stripes(h: int = 200, w: int = 260, angle: float = 30.0, period: float = 9.0) -> np.ndarray:
    y, x = np.mgrid[:h, :w]
    t = np.deg2rad(angle)
    v = 0.5 + 0.4 * np.sin(2 * np.pi * (x * np.cos(t) + y * np.sin(t)) / period)
    return np.repeat((v * 255).astype(np.uint8)[..., None], 3, axis=2)


def noise(seed: int, h: int = 200, w: int = 260) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


# --------------------------------------------------------------------------- resize


@pytest.mark.parametrize(
    ("shape", "expected"),
    [
        ((100, 300, 3), (256, 768, 3)),
        ((512, 384, 3), (341, 256, 3)),
        ((256, 256, 3), (256, 256, 3)),
    ],
)
def test_resize_short_side(shape, expected):
    out = resize_short_side(np.zeros(shape, np.uint8))
    assert out.shape == expected and out.dtype == np.uint8
    assert resize_short_side(np.zeros(shape, np.uint8), short=64).shape[:2].count(64) >= 1


# --------------------------------------------------------------------------- style distance


def test_style_distance_self_is_zero_and_deterministic():
    a, b = field(1), field(2)
    other = style_distance(a, b)
    same = style_distance(a, a)
    assert isinstance(same, StyleDistance)
    assert other.total > 0
    assert same.total <= 0.01 * other.total
    assert style_distance(a, b) == other
    assert other.total == pytest.approx(other.texture + other.colour)


def test_style_distance_batch_forms_agree_and_seed_matters():
    frames = [field(3), field(4)]
    style = [field(5), field(6)]
    as_list = style_distance(frames, style, patches_per_level=512, directions=32)
    as_array = style_distance(
        np.stack(frames), np.stack(style), patches_per_level=512, directions=32
    )
    assert as_list == as_array
    reseeded = style_distance(frames, style, patches_per_level=512, directions=32, seed=1)
    assert reseeded != as_list
    assert reseeded.total == pytest.approx(as_list.total, rel=0.3)


def test_reinhard_moves_colour_toward_style():
    image = field(7, tint=(0.3, 0.5, 1.0))  # bluish
    style = field(8, cell=30, tint=(1.0, 0.6, 0.2))  # warm
    transferred = reinhard_transfer(image, style)
    assert transferred.shape == image.shape and transferred.dtype == np.uint8
    assert style_distance(transferred, style).colour < 0.5 * style_distance(image, style).colour


def test_noise_raises_texture_distance_to_smooth_style():
    style = field(9)
    image = field(10)
    base = reinhard_transfer(image, style)
    noisy = add_gaussian_noise(base)
    assert style_distance(noisy, style).texture > 2 * style_distance(base, style).texture


def test_noise_lowers_texture_distance_to_grainy_style():
    style = add_gaussian_noise(field(11), seed=5)
    base = reinhard_transfer(field(12), style)
    noisy = add_gaussian_noise(base, seed=6)
    assert style_distance(noisy, style).texture < style_distance(base, style).texture


def test_add_gaussian_noise_is_seeded():
    image = field(13)
    assert np.array_equal(add_gaussian_noise(image, seed=3), add_gaussian_noise(image, seed=3))
    assert not np.array_equal(add_gaussian_noise(image, seed=3), add_gaussian_noise(image, seed=4))
    assert np.array_equal(add_gaussian_noise(image, sigma=0.0), image)
    batch = np.stack([image, image])
    assert add_gaussian_noise(batch).shape == batch.shape


# --------------------------------------------------------------------------- stroke distance


def test_stroke_distance():
    s = stripes()
    assert stroke_distance(s, s) == pytest.approx(0.0, abs=1e-12)
    assert stroke_distance(stripes(angle=100), s) < 0.05  # orientation does not matter
    assert stroke_distance(noise(1), s) > 0.3
    assert stroke_distance([noise(1), noise(2)], [s, stripes(angle=70)]) > 0.3


# --------------------------------------------------------------------------- structure score


def test_structure_score():
    image = stripes(period=14)
    assert structure_score(image, image) == pytest.approx(1.0, abs=1e-9)
    assert structure_score(image, np.roll(image, 5, axis=1)) < 0.5
    assert structure_score(image, cv2.GaussianBlur(image, (0, 0), 4)) < 0.9
    assert abs(structure_score(image, noise(3))) < 0.2


def test_structure_score_resizes_output_to_input():
    image = field(14, h=300, w=400, cell=8)
    small = cv2.resize(image, (200, 150), interpolation=cv2.INTER_AREA)
    assert structure_score(image, small) > 0.95
    pairs = [image, field(15, h=300, w=400, cell=8)]
    assert mean_structure_score(pairs, pairs) == pytest.approx(1.0, abs=1e-9)


# --------------------------------------------------------------------------- diversity


def test_diversity_ratio():
    inputs = [field(s) for s in range(20, 24)]
    assert diversity_ratio(inputs, inputs) == pytest.approx(1.0)
    collapsed = [field(99)] * 4
    assert diversity_ratio(inputs, collapsed) == 0.0
    with pytest.raises(ValueError, match="Received: len"):
        diversity_ratio(inputs[:1], inputs[:1])
    with pytest.raises(ValueError, match="Received: len"):
        diversity_ratio(inputs, inputs[:3])


# --------------------------------------------------------------------------- report


def test_evaluate_outputs():
    inputs = [field(30), field(31)]
    outputs = [reinhard_transfer(i, stripes()) for i in inputs]
    report = evaluate_outputs(inputs, outputs, stripes())
    assert isinstance(report, QualityReport)
    d = report.to_dict()
    assert set(d) == {"texture", "colour", "total", "stroke", "structure", "diversity"}
    assert d["total"] == pytest.approx(d["texture"] + d["colour"])
    assert 0 < d["structure"] <= 1 and d["diversity"] is not None
    assert evaluate_outputs(inputs[:1], inputs[:1], stripes()).diversity is None


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("bad", "needle"),
    [
        (np.zeros((32, 32, 3), np.float32), "outputs.dtype=float32"),
        (np.zeros((32, 32), np.uint8), "outputs.shape=(32, 32)"),
        (np.zeros((32, 32, 4), np.uint8), "outputs.shape=(32, 32, 4)"),
        ([], "outputs=[]"),
        ([np.zeros((8, 8, 3), np.uint8), "x"], "outputs[1]=str"),
        ("image.png", "outputs=str"),
    ],
)
def test_bad_images_raise(bad, needle):
    with pytest.raises(ValueError, match=r"Received: ") as info:
        style_distance(bad, field(1))
    assert needle in str(info.value)
    with pytest.raises(ValueError, match=r"Received: outputs"):
        stroke_distance(bad, field(1))


def test_bad_parameters_raise():
    img = field(1)
    with pytest.raises(ValueError, match="Received: patches_per_level=0"):
        style_distance(img, img, patches_per_level=0)
    with pytest.raises(ValueError, match="Received: seed=-1"):
        style_distance(img, img, seed=-1)
    with pytest.raises(ValueError, match="Received: input_image.dtype=float64"):
        structure_score(img.astype(np.float64), img)
    with pytest.raises(ValueError, match="Received: sigma=-0.1"):
        add_gaussian_noise(img, sigma=-0.1)
    with pytest.raises(ValueError, match="Received: image.shape="):
        reinhard_transfer(img[..., 0], img)


# --------------------------------------------------------------------------- static flicker


def grey_noise(rng: np.random.Generator, a: int, h: int, w: int) -> np.ndarray:
    """Integer noise uniform on {-a, ..., a}, the same in R, G and B (so it adds to the luma)."""
    return np.repeat(rng.integers(-a, a + 1, (h, w, 1)), 3, axis=2)


def mean_abs_diff_uniform(a: int) -> float:
    """E|X - Y| for X, Y independent and uniform on the k = 2a + 1 integers -a..a: (k² - 1) / 3k."""
    k = 2 * a + 1
    return (k * k - 1) / (3 * k)


def moving_square_clip(frames: int = 6, h: int = 160, w: int = 240, side: int = 40,
                       step: int = 12) -> list[np.ndarray]:
    """A smooth still background with a coarse-grained textured square moving ``step`` px/frame."""
    background = field(3, h, w)
    grain = np.random.default_rng(4).integers(40, 216, (side // 4, side // 4, 3)).astype(np.uint8)
    square = cv2.resize(grain, (side, side), interpolation=cv2.INTER_NEAREST)
    clip = []
    for t in range(frames):
        y, x = 60, 20 + step * t
        img = background.copy()
        img[y:y + side, x:x + side] = square
        clip.append(img)
    return clip


def test_static_flicker_output_noise_on_a_still_scene_matches_the_analytic_value():
    rng = np.random.default_rng(0)
    still = field(1, 180, 240) // 2 + 60  # luma 60..187: ±12 noise never clips
    ins = [still] * 6
    a = 12
    outs = [(still.astype(np.int64) + grey_noise(rng, a, 180, 240)).astype(np.uint8)
            for _ in ins]
    result = static_flicker(ins, outs)
    assert isinstance(result, StaticFlicker)
    assert result.static_fraction == 1.0
    assert result.input == 0.0
    # (25² - 1) / 75 = 8.32 grey levels; 5 × 43200 samples: standard error ≈ 0.01.
    assert result.output == pytest.approx(mean_abs_diff_uniform(a), abs=0.05)
    assert result.ratio == float("inf")
    d = result.to_dict()
    assert set(d) == {"output", "input", "ratio", "static_fraction"}
    assert d["output"] == result.output


def test_static_flicker_identical_outputs_give_zero():
    rng = np.random.default_rng(1)
    still = field(2, 120, 160) // 2 + 60
    ins = [(still.astype(np.int64) + grey_noise(rng, 1, 120, 160)).astype(np.uint8)
           for _ in range(5)]
    result = static_flicker(ins, [field(9, 120, 160)] * 5)
    assert result.output == 0.0
    assert result.input > 0.5
    assert result.ratio == 0.0
    clip = moving_square_clip()
    assert static_flicker(clip, [clip[0]] * len(clip)).output == 0.0


def test_static_flicker_counts_the_inputs_own_noise_for_the_input():
    rng = np.random.default_rng(2)
    still = field(5, 180, 240) // 2 + 60
    ins = np.stack([(still.astype(np.int64) + grey_noise(rng, 1, 180, 240)).astype(np.uint8)
                    for _ in range(6)])
    result = static_flicker(ins, ins)  # an (N, H, W, 3) array works too
    # ±1 noise blurred (σ 1.5) stays far below the 1.5 threshold: every pixel is static.
    assert result.static_fraction == 1.0
    assert result.input == pytest.approx(mean_abs_diff_uniform(1), abs=0.01)  # 8/9
    assert result.output == result.input
    assert result.ratio == 1.0
    noisier = [(f.astype(np.int64) + grey_noise(rng, 3, 180, 240)).astype(np.uint8) for f in ins]
    assert static_flicker(ins, noisier).ratio > 2.0


def test_static_flicker_excludes_moving_pixels():
    clip = moving_square_clip()
    h, w = clip[0].shape[:2]
    side = 40
    rng = np.random.default_rng(3)
    a = 8
    outs = [(f.astype(np.int64) + grey_noise(rng, a, h, w)).clip(0, 255).astype(np.uint8)
            for f in clip]
    result = static_flicker(clip, outs)
    # The square changes by tens of grey levels from frame to frame; none of that is counted.
    assert result.input == 0.0
    assert result.output == pytest.approx(mean_abs_diff_uniform(a), abs=0.1)
    assert static_flicker(clip, clip).output == 0.0
    # Each pair's moving area is the union of the square at t - 1 and t (40 × 52 px), widened
    # by the blur and the erosion by a few px; everything else is static.
    moving = side * (side + 12) / (h * w)
    widened = (side + 2 * 8) * (side + 12 + 2 * 8) / (h * w)
    assert 1.0 - widened < result.static_fraction < 1.0 - moving


def test_static_flicker_threshold_and_weighting_by_static_pixels():
    def grey(v: int) -> np.ndarray:
        return np.full((60, 80, 3), v, np.uint8)

    # Luma steps of 1 (static) and 2 (not static, the pair is left out).
    result = static_flicker([grey(100), grey(101), grey(103)], [grey(0), grey(4), grey(40)])
    assert result.static_fraction == 0.5
    assert result.input == pytest.approx(1.0)
    assert result.output == pytest.approx(4.0)
    # Pair 1 all static, output +2; pair 2 only the left part static, output +6: the mean is
    # weighted by the static pixel counts, not (2 + 6) / 2.
    third = grey(100)
    third[:, 40:] = 200
    result = static_flicker([grey(100), grey(100), third], [grey(0), grey(2), grey(8)])
    static_2 = (2 * result.static_fraction - 1) * 60 * 80
    assert 0 < static_2 < 40 * 60
    assert result.output == pytest.approx((2 * 4800 + 6 * static_2) / (4800 + static_2))
    assert result.output < 3.9


def test_static_flicker_mask_is_eroded_by_a_5x5_box_but_not_at_the_border():
    before = np.full((60, 80, 3), 100, np.uint8)
    after = before.copy()
    after[:, 40:] = 200  # a vertical edge: only columns far enough left of it stay static
    diff = np.abs(cv2.GaussianBlur(np.full((60, 80), 100.0), (0, 0), 1.5)
                  - cv2.GaussianBlur(after[..., 0].astype(np.float64), (0, 0), 1.5))
    columns = int(np.count_nonzero(diff[30] < 1.5))  # before erosion: a left band, all rows
    assert 30 < columns < 40
    result = static_flicker([before, after], [before, after])
    # The 5×5 erosion takes 2 more columns off the band's right side; the image border (left,
    # top, bottom) erodes nothing.
    assert result.static_fraction == pytest.approx((columns - 2) / 80)
    assert result.input == 0.0


def test_static_flicker_nothing_static_is_nan():
    ins = [noise(1, 40, 50), noise(2, 40, 50)]
    result = static_flicker(ins, ins)
    assert result.static_fraction == 0.0
    assert np.isnan(result.output) and np.isnan(result.input) and np.isnan(result.ratio)


@pytest.mark.parametrize(
    ("ins", "outs", "needle"),
    [
        ([field(1)], [field(1)], "Received: len(inputs)=1"),
        ([field(1)] * 3, [field(1)] * 2, "Received: len(inputs)=3, len(outputs)=2"),
        ([field(1), field(1, 90, 120)], [field(1)] * 2, "inputs[1].shape=(90, 120, 3)"),
        ([field(1)] * 2, [field(1), field(1, 90, 120)], "outputs[1].shape=(90, 120, 3)"),
        ([field(1)] * 2, [field(1), field(1).astype(np.float32)], "outputs[1].dtype=float32"),
        ("clip.mp4", [field(1)] * 2, "inputs=str"),
        ([field(1)] * 2, [field(1), None], "outputs[1]=NoneType"),
    ],
)
def test_static_flicker_bad_inputs_raise(ins, outs, needle):
    with pytest.raises(ValueError, match=r"Received: ") as info:
        static_flicker(ins, outs)
    assert needle in str(info.value)
    assert "\n" not in str(info.value)


# --------------------------------------------------------------------------- grid pattern


def textured(seed: int, h: int = 256, w: int = 320) -> np.ndarray:
    """A smooth colour field plus fine photo-like grain (blurred noise, about ±10 grey levels)."""
    grain = np.random.default_rng(1000 + seed).normal(0.0, 12.0, (h, w)).astype(np.float32)
    grain = cv2.GaussianBlur(grain, (0, 0), 0.8)
    img = field(seed, h, w).astype(np.float32) + grain[..., None]
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def lattice_tile(amplitude: float, seed: int = 0) -> np.ndarray:
    """A fixed 4×4 tile of ±amplitude grey levels (random signs, zero mean)."""
    tile = np.random.default_rng(seed).choice([-1.0, 1.0], (4, 4))
    return amplitude * (tile - tile.mean())


def add_tile(image: np.ndarray, tile: np.ndarray) -> np.ndarray:
    """``image`` plus ``tile`` repeated from the top-left pixel (fixed to the raster), on R, G, B."""
    h, w = image.shape[:2]
    th, tw = tile.shape
    pattern = np.tile(tile, (h // th + 1, w // tw + 1))[:h, :w]
    return np.clip(np.rint(image + pattern[..., None]), 0, 255).astype(np.uint8)


def test_grid_pattern_ratio_flags_a_4px_lattice():
    images = [textured(1), textured(2)]
    clean = grid_pattern_ratio(images, images)
    latticed = grid_pattern_ratio(images, [add_tile(i, lattice_tile(8.0)) for i in images])
    faint = grid_pattern_ratio(images, [add_tile(i, lattice_tile(2.0)) for i in images])
    assert clean == pytest.approx(1.0)
    assert latticed > 3.0
    assert latticed > faint > 1.2  # stronger lattice, higher ratio


def test_grid_pattern_ratio_flags_a_checkerboard_and_ignores_other_periods():
    img = textured(3)
    checker = np.array([[1.0, -1.0], [-1.0, 1.0]]) * 6.0
    assert grid_pattern_ratio(img, add_tile(img, checker)) > 3.0
    stripes5 = np.array([[6.0, -6.0, 3.0, -3.0, 0.0]])  # period 5: not a 2/4-px lattice
    assert grid_pattern_ratio(img, add_tile(img, stripes5)) < 1.5
    assert grid_pattern_ratio(img, add_tile(img, stripes5), periods=(5,)) > 3.0


def test_grid_pattern_ratio_content_that_moves_is_not_a_lattice():
    big = textured(4, 272, 336)
    inputs = big[:256, :320]
    shifted = big[3:259, 5:325]  # the same picture moved (3, 5) px: nothing fixed to the raster
    assert 0.8 < grid_pattern_ratio(inputs, shifted) < 1.25
    # A lattice already in the input, moved along with the content, is not the output's doing.
    with_lattice = add_tile(big, lattice_tile(8.0))
    assert 0.8 < grid_pattern_ratio(with_lattice[:256, :320], with_lattice[1:257, 2:322]) < 1.25
    # Neither is smoothing: a blur removes as much from the ring as from the lattice bins.
    blurred = cv2.GaussianBlur(inputs, (0, 0), 0.8)
    assert 0.7 < grid_pattern_ratio(inputs, blurred) < 1.5


def test_grid_pattern_ratio_batches_sizes_and_flat_images():
    a, b = textured(5), textured(6, 200, 300)
    tile = lattice_tile(8.0)
    pairs = grid_pattern_ratio([a, b], [add_tile(a, tile), b])
    only_a = grid_pattern_ratio(a, add_tile(a, tile))
    assert pairs == pytest.approx((only_a + 1.0) / 2.0)  # the mean over pairs
    stack = np.stack([a, a])
    assert grid_pattern_ratio(stack, stack) == pytest.approx(1.0)
    # Outputs are measured at their own size, never resized.
    assert grid_pattern_ratio(a, add_tile(textured(5, 128, 160), tile)) > 3.0
    flat = np.full((128, 128, 3), 90, np.uint8)
    assert grid_pattern_ratio(flat, flat) == pytest.approx(1.0)  # no 0/0
    assert grid_pattern_ratio(flat, add_tile(flat, tile)) > 100.0


def test_grid_pattern_ratio_bad_arguments_raise():
    img = textured(1)
    with pytest.raises(ValueError, match=r"Received: len\(inputs\)=2, len\(outputs\)=1"):
        grid_pattern_ratio([img, img], [img])
    too_small = r"at least 64x64 pixels. Received: outputs\[1\].shape=\(63, 320, 3\)"
    with pytest.raises(MediaError, match=too_small):
        grid_pattern_ratio([img, img], [img, img[:63]])
    with pytest.raises(MediaError, match=r"Received: inputs.dtype=float32"):
        grid_pattern_ratio(img.astype(np.float32), img)
    for bad in ((), (1, 4), (3, 5, 7), (2.0, 4), "24", (True, 4), 4, (2, 32)):
        with pytest.raises(ValueError, match=r"Received: periods="):
            grid_pattern_ratio(img, img, periods=bad)


@pytest.mark.parametrize(
    ("bad", "needle"),
    [
        (np.zeros((300, 300), np.uint8), "outputs.shape=(300, 300)"),
        ([], "outputs=[]"),
        ("image.png", "outputs=str"),
    ],
)
def test_grid_pattern_ratio_bad_images_raise(bad, needle):
    with pytest.raises(MediaError, match=r"Received: ") as info:
        grid_pattern_ratio(textured(1), bad)
    assert needle in str(info.value)


# --------------------------------------------------------------------------- shift equivariance


def _per_frame(fn):
    return lambda frames: np.stack([fn(f) for f in frames])


def test_shift_equivariance_identity_and_equivariant_filters_score_zero():
    images = [textured(1), textured(2, 160, 200)]
    calls = []

    def identity(frames):
        calls.append((frames.shape, frames.dtype))
        return frames

    result = shift_equivariance_error(identity, images)
    assert isinstance(result, ShiftEquivariance)
    assert result.error == 0.0 and result.reference == 0.0 and result.per_shift == (0.0, 0.0, 0.0)
    assert np.isnan(result.ratio)
    # One batch per image: the base crop and a crop for each shift (1, 2, 3, 4) in x and in y.
    assert calls == [((9, 252, 316, 3), np.uint8), ((9, 156, 196, 3), np.uint8)]
    blur = shift_equivariance_error(_per_frame(lambda f: cv2.GaussianBlur(f, (0, 0), 1.5)), images)
    assert blur.error < 1e-6 and blur.reference < 1e-6


def test_shift_equivariance_flags_a_fixed_4px_lattice():
    images = [textured(1), textured(2)]
    tile = lattice_tile(8.0)
    result = shift_equivariance_error(_per_frame(lambda f: add_tile(f, tile)), images)
    assert result.error > 3.0  # grey levels: the ±8 lattice stays put while the content moves
    assert result.reference < 0.05  # a 4-px shift maps the lattice onto itself
    assert result.ratio > 50.0
    assert len(result.per_shift) == 3 and min(result.per_shift) > 3.0
    assert result.to_dict()["ratio"] == result.ratio


def test_shift_equivariance_raster_noise_without_period_4_is_not_flagged():
    # Fixed to the raster but not periodic: every shift, 4 px included, shows it equally.
    noise_map = np.random.default_rng(7).normal(0.0, 6.0, (300, 400))
    stylize = _per_frame(lambda f: add_tile(f, noise_map[: f.shape[0], : f.shape[1]]))
    result = shift_equivariance_error(stylize, [textured(3)])
    assert result.error > 3.0 and result.reference > 3.0
    assert 0.8 < result.ratio < 1.25


def test_shift_equivariance_bad_arguments_raise():
    img = textured(1)
    with pytest.raises(ValueError, match=r"Received: stylize=int"):
        shift_equivariance_error(3, img)
    with pytest.raises(MediaError, match=r"Received: images.dtype=float64"):
        shift_equivariance_error(lambda f: f, img.astype(np.float64))
    for bad in ((), (0, 1), (1.5,), "12"):
        with pytest.raises(ValueError, match=r"Received: shifts="):
            shift_equivariance_error(lambda f: f, img, shifts=bad)
    with pytest.raises(ValueError, match=r"Received: reference_shift=0"):
        shift_equivariance_error(lambda f: f, img, reference_shift=0)
    with pytest.raises(ValueError, match=r"at least the largest shift \(8\). Received: margin=7"):
        shift_equivariance_error(lambda f: f, img, shifts=(8,), margin=7)
    with pytest.raises(MediaError, match=r"larger than 36 px .* Received: images\[0\].shape=\(36, 320, 3\)"):
        shift_equivariance_error(lambda f: f, img[:36])
    with pytest.raises(ValueError, match=r"Received: output=float32"):
        shift_equivariance_error(lambda f: f.astype(np.float32), img)
    with pytest.raises(ValueError, match=r"Received: output=uint8 \(1, "):
        shift_equivariance_error(lambda f: f[:1], img)


# --------------------------------------------------------------------------- real images


def _load(path: Path) -> np.ndarray:
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert bgr is not None, path
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def test_real_images_baselines_order():
    style_path = DATA / "styles" / "starry_night.jpg"
    content = sorted((DATA / "content").glob("*.jpg"))[:4] if (DATA / "content").is_dir() else []
    if not style_path.is_file() or len(content) < 4:
        pytest.skip(f"shared data not available at {DATA}")
    style = _load(style_path)
    inputs = [_load(p) for p in content]
    reinhard = [reinhard_transfer(i, style) for i in inputs]
    noisy = [add_gaussian_noise(r, seed=k) for k, r in enumerate(reinhard)]
    d_in, d_re, d_no = (style_distance(x, style) for x in (inputs, reinhard, noisy))
    assert d_re.colour < d_in.colour
    assert d_no.texture < d_re.texture
    # Noise is not brush strokes: the stroke distance catches it.
    assert stroke_distance(noisy, style) > stroke_distance(reinhard, style)
