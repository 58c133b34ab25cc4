"""Tests for optical flow, warping, occlusion, scene cuts, the stabiliser and the warping error."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
from stylecut.core.errors import MediaError
from stylecut.core.metrics import warping_error
from stylecut.core.temporal import (
    FlowEstimator,
    FlowSettings,
    Stabiliser,
    StabiliserSettings,
    backward_warp,
    cut_distance,
    occlusion_mask,
    scene_cut,
)

H, W = 180, 320
ACCURATE = FlowSettings(scale=1.0, preset=cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)


def texture(seed: int, h: int = H, w: int = W, sigma: float = 3.0) -> np.ndarray:
    """Blurred colour noise: texture at every position, so flow is well defined everywhere."""
    base = np.random.default_rng(seed).random((h, w, 3)).astype(np.float32)
    img = cv2.GaussianBlur(base, (0, 0), sigma)
    img = (img - img.min()) / (img.max() - img.min())
    return (img * 255).astype(np.uint8)


def smooth_field(seed: int, h: int = H, w: int = W, cell: int = 40) -> np.ndarray:
    """A smooth random colour image (large blobs, no fine texture)."""
    r = np.random.default_rng(seed).random((h // cell + 2, w // cell + 2, 3)).astype(np.float32)
    r = cv2.resize(r, (w, h), interpolation=cv2.INTER_CUBIC)
    return (np.clip(r, 0, 1) * 255).astype(np.uint8)


def translate(image: np.ndarray, dx: float, dy: float) -> np.ndarray:
    """``image`` moved by (dx, dy): what was at (x, y) is at (x + dx, y + dy)."""
    m = np.float32([[1, 0, dx], [0, 1, dy]])
    return cv2.warpAffine(image, m, (image.shape[1], image.shape[0]), borderMode=cv2.BORDER_REFLECT)


def pan(seed: int, frames: int, step: int, h: int = H, w: int = W) -> list[np.ndarray]:
    """Crops of a larger texture moving ``step`` px left per frame (the camera pans right)."""
    big = texture(seed, h, w + step * frames)
    return [big[:, i * step : i * step + w].copy() for i in range(frames)]


def with_object(background: np.ndarray, x: int, colour=(240, 40, 40), y: int = 70, size: int = 40):
    frame = background.copy()
    frame[y : y + size, x : x + size] = colour
    return frame


def add_noise(image: np.ndarray, rng: np.random.Generator, sigma: float = 6.0) -> np.ndarray:
    return np.clip(image + rng.normal(0, sigma, image.shape), 0, 255).astype(np.uint8)


def mean_abs(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean(np.abs(a.astype(np.float64) - b.astype(np.float64))))


# --------------------------------------------------------------------------- flow and warping


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"scale": 0.0}, "scale"),
        ({"scale": 1.5}, "scale"),
        ({"scale": float("nan")}, "scale"),
        ({"scale": True}, "scale"),
        ({"preset": 7}, "preset"),
    ],
)
def test_flow_settings_reject_bad_values(kwargs, name):
    with pytest.raises(ValueError, match=f"Received: {name}="):
        FlowSettings(**kwargs)


@pytest.mark.parametrize(("settings", "tolerance"), [(FlowSettings(), 3.0), (ACCURATE, 1.0)])
def test_warp_recovers_a_translated_image(settings, tolerance):
    a = texture(0)
    b = translate(a, 5, 3)
    flow = FlowEstimator(settings).flow(a, b)
    assert flow.shape == (H, W, 2) and flow.dtype == np.float32
    inner = (slice(12, -12), slice(12, -12))
    assert np.allclose(np.median(flow[inner], axis=(0, 1)), (5, 3), atol=0.25)
    back = backward_warp(b, flow)
    assert back.dtype == np.uint8 and back.shape == a.shape
    assert mean_abs(back[inner], a[inner]) < tolerance


def test_flow_of_small_frames_and_bad_frames():
    tiny = texture(1, 8, 10, sigma=1)
    assert FlowEstimator().flow(tiny, tiny).shape == (8, 10, 2)
    assert FlowEstimator().flow(tiny[:, :4], tiny[:, 1:5]).shape == (8, 4, 2)
    assert not FlowEstimator().flow(tiny[:1, :1], tiny[:1, :1]).any()
    with pytest.raises(MediaError, match="Received: "):
        FlowEstimator().flow(tiny, texture(2, 10, 8))
    with pytest.raises(MediaError, match="Received: a.dtype=float32"):
        FlowEstimator().flow(tiny.astype(np.float32), tiny)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32, np.float64, np.int32, np.bool_])
@pytest.mark.parametrize("channels", [None, 1, 3, 6])
def test_backward_warp_keeps_dtype_and_zero_flow_is_identity(dtype, channels):
    shape = (20, 30) if channels is None else (20, 30, channels)
    image = (np.random.default_rng(0).random(shape) * 200).astype(dtype)
    warped = backward_warp(image, np.zeros((20, 30, 2), np.float32))
    assert warped.dtype == image.dtype and warped.shape == image.shape
    assert np.array_equal(warped, image)


def test_backward_warp_samples_at_x_plus_flow():
    image = np.tile(np.arange(30, dtype=np.float32), (20, 1))
    flow = np.zeros((20, 30, 2), np.float32)
    flow[..., 0] = 2.5
    assert np.allclose(backward_warp(image, flow)[:, :27], image[:, :27] + 2.5)
    with pytest.raises(ValueError, match="Received: image.shape="):
        backward_warp(image[:10], flow)


# --------------------------------------------------------------------------- occlusion


def test_occlusion_mask_flags_flow_leaving_the_frame_and_inconsistency():
    forward = np.zeros((20, 30, 2), np.float32)
    forward[..., 0] = 5.0
    mask = occlusion_mask(forward, -forward)
    assert mask.dtype == np.bool_ and mask.shape == (20, 30)
    assert mask[:, 25:].all() and not mask[:, :25].any()  # x + 5 > 29 leaves the frame
    assert occlusion_mask(forward, np.zeros_like(forward))[:, :25].all()  # no way back
    step = np.zeros((20, 30, 2), np.float32)
    step[:, 15:, 0] = 2.0
    boundary = occlusion_mask(step, -step)
    assert boundary[:, 14:16].all() and not boundary[:, :13].any() and not boundary[:, 17:27].any()


def test_occlusion_mask_flags_the_revealed_band():
    background = texture(1)
    obj = texture(2)[60:100, 100:140]  # a textured square moving 8 px to the right
    frames = []
    for x in (100, 108):
        frame = background.copy()
        frame[70:110, x : x + 40] = obj
        frames.append(frame)
    estimator = FlowEstimator(ACCURATE)
    to_prev = estimator.flow(frames[1], frames[0])
    to_next = estimator.flow(frames[0], frames[1])
    revealed = occlusion_mask(to_prev, to_next)  # pixels of frame 1 that frame 0 did not show
    assert revealed[72:108, 101:107].mean() > 0.8
    far = np.ones((H, W), bool)
    far[50:130, 80:170] = False
    assert revealed[far].mean() < 0.05
    covered = occlusion_mask(to_next, to_prev)  # pixels of frame 0 that frame 1 hides
    assert covered[72:108, 141:147].mean() > 0.8
    assert covered[far].mean() < 0.05


def test_occlusion_mask_rejects_mismatched_flows():
    with pytest.raises(ValueError, match="Received: forward.shape="):
        occlusion_mask(np.zeros((4, 5, 2), np.float32), np.zeros((4, 6, 2), np.float32))


# --------------------------------------------------------------------------- scene cuts


def test_scene_cut_between_unrelated_images():
    assert scene_cut(texture(0), texture(1))
    assert scene_cut(smooth_field(0), smooth_field(1))
    assert scene_cut(smooth_field(2), texture(3))


def test_no_scene_cut_within_a_shot():
    rng = np.random.default_rng(0)
    frames = pan(4, 3, 10)  # 3 % of the width per frame
    assert not scene_cut(frames[0], frames[1])
    assert not scene_cut(frames[0], frames[2])  # 6 %
    image = smooth_field(5)
    assert not scene_cut(image, translate(image, 12, -6))
    assert not scene_cut(image, np.clip(image * 1.1 + 12, 0, 255).astype(np.uint8))  # brighter
    assert not scene_cut(image, add_noise(image, rng, 8.0))
    black = np.zeros((H, W, 3), np.uint8)
    assert not scene_cut(black, black + 2)
    assert cut_distance(image, image) == pytest.approx(0.0, abs=1e-6)  # cv2 5.x: ~2e-10


def test_scene_cut_threshold():
    a, b = smooth_field(0), translate(smooth_field(0), 8, 0)
    assert scene_cut(a, b, threshold=1e-6)
    with pytest.raises(ValueError, match="Received: threshold=0"):
        scene_cut(a, b, threshold=0)


# --------------------------------------------------------------------------- warping error


def test_warping_error_static_flicker_and_following():
    rng = np.random.default_rng(1)
    frames = pan(6, 5, 4, 120, 160)
    still = [frames[0]] * 5
    assert warping_error(still, still) < 1e-6
    following = warping_error(frames, frames)
    flicker = warping_error(frames, [add_noise(f, rng, 10.0) for f in frames])
    assert following < 2e-4
    assert flicker > 2e-3 and flicker > 10 * following


def test_warping_error_accepts_another_output_size_and_validates():
    frames = pan(7, 3, 4, 120, 160)
    small = [cv2.resize(f, (80, 60), interpolation=cv2.INTER_AREA) for f in frames]
    assert warping_error(frames, small, flow=FlowEstimator()) < 5e-3
    with pytest.raises(ValueError, match="Received: len"):
        warping_error(frames[:1], frames[:1])
    with pytest.raises(ValueError, match="Received: len"):
        warping_error(frames, frames[:2])
    with pytest.raises(MediaError, match=r"Received: inputs\[0\].shape"):
        warping_error([frames[0], small[1]], frames[:2])


# --------------------------------------------------------------------------- stabiliser


def frame_to_frame(frames: list[np.ndarray]) -> float:
    return float(np.mean([mean_abs(a, b) for a, b in zip(frames, frames[1:], strict=False)]))


def test_stabiliser_reduces_flicker_on_a_static_scene():
    rng = np.random.default_rng(2)
    scene = texture(8)
    stabiliser = Stabiliser()
    stylized = [add_noise(scene, rng) for _ in range(10)]
    outputs = [stabiliser.process(scene, s, 1.0) for s in stylized]
    assert np.array_equal(outputs[0], stylized[0])  # the first frame has no history
    assert frame_to_frame(outputs[3:]) < 0.5 * frame_to_frame(stylized[3:])


def test_stabiliser_blends_strong_flicker_where_the_input_is_explained():
    # the confidence comes from the *input*: however much the stylisation flickers (σ = 60/255
    # here, far above max_error), a static scene's output is held steady
    rng = np.random.default_rng(7)
    scene = texture(8)
    stabiliser = Stabiliser()
    stylized = [add_noise(scene, rng, 60.0) for _ in range(12)]
    outputs = [stabiliser.process(scene, s, 1.0) for s in stylized]
    assert frame_to_frame(outputs[4:]) < 0.3 * frame_to_frame(stylized[4:])


def test_stabiliser_holds_unchanged_input_longer_than_changed_input():
    scene = texture(9)
    stabiliser = Stabiliser(still=None)  # the flow path's own weights
    stabiliser.analyse(scene)
    same = stabiliser.analyse(scene).weight  # input unchanged: hold
    brighter = np.clip(scene.astype(np.int16) + 6, 0, 255).astype(np.uint8)  # e ≈ 0.024
    changed = stabiliser.analyse(brighter).weight  # blend, faded by e / max_error
    inner = (slice(10, -10), slice(10, -10))
    assert np.allclose(same[inner], stabiliser.hold, atol=1e-3)
    expected = stabiliser.blend * (1 - (6 / 255) / stabiliser.max_error)
    assert abs(float(np.median(changed[inner])) - expected) < 0.02


def detail_energy(image: np.ndarray) -> float:
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)
    return float(np.mean((grey - cv2.GaussianBlur(grey, (0, 0), 2.5)) ** 2))


def test_stabiliser_restores_the_detail_that_blending_averages_away():
    # each stylised frame has its own strong fine texture on a static scene: plain blending
    # averages the textures into a flat grey; the detail gain keeps their contrast
    rng = np.random.default_rng(10)
    scene = smooth_field(10)
    stylized = [add_noise(scene, rng, 30.0) for _ in range(12)]
    plain, restored = Stabiliser(detail_gain=1.0), Stabiliser()
    flat = [plain.process(scene, s, 1.0) for s in stylized][-1]
    kept = [restored.process(scene, s, 1.0) for s in stylized][-1]
    target = detail_energy(stylized[-1])
    assert detail_energy(flat) < 0.5 * target
    assert detail_energy(kept) > 0.8 * target
    steadier = [restored.process(scene, s, 1.0) for s in stylized[:6]]
    assert frame_to_frame(steadier) < frame_to_frame(stylized[:6])


def test_stabiliser_analyse_then_apply_equals_process():
    rng = np.random.default_rng(8)
    frames = pan(15, 8, 3)
    stylized = [add_noise(f, rng) for f in frames]
    whole, split = Stabiliser(), Stabiliser()
    motions = [split.analyse(f) for f in frames]  # all ahead, as the renderer's decoder does
    assert motions[0].fresh and not motions[1].fresh and motions[1].weight.shape == frames[0].shape[:2]
    for f, s, m in zip(frames, stylized, motions, strict=True):
        assert np.array_equal(whole.process(f, s, 1.0), split.apply(m, s, 1.0))


def test_stabiliser_reduces_flicker_along_motion():
    rng = np.random.default_rng(3)
    frames = pan(9, 8, 3)
    stylized = [add_noise(f, rng) for f in frames]
    stabiliser = Stabiliser()
    outputs = [stabiliser.process(f, s, 1.0) for f, s in zip(frames, stylized, strict=True)]
    raw = warping_error(frames[3:], stylized[3:], flow=FlowEstimator())
    assert warping_error(frames[3:], outputs[3:], flow=FlowEstimator()) < 0.6 * raw


def test_stabiliser_resets_at_a_scene_cut_and_on_reset():
    rng = np.random.default_rng(4)
    stabiliser = Stabiliser()
    for _ in range(3):
        stabiliser.process(texture(10), add_noise(texture(10), rng), 1.0)
    cut = smooth_field(11)
    stylized = add_noise(cut, rng)
    assert np.array_equal(stabiliser.process(cut, stylized, 1.0), stylized)
    assert not np.array_equal(stabiliser.process(cut, add_noise(cut, rng), 1.0), stylized)
    stabiliser.reset()
    stylized = add_noise(cut, rng)
    assert np.array_equal(stabiliser.process(cut, stylized, 1.0), stylized)
    smaller = cut[:90, :160]  # a new size starts afresh too
    assert np.array_equal(stabiliser.process(smaller, smaller, 1.0), smaller)


def test_stabiliser_strength_zero_is_exact():
    rng = np.random.default_rng(5)
    scene = texture(12)
    stabiliser = Stabiliser()
    for _ in range(3):
        stabiliser.process(scene, add_noise(scene, rng), 1.0)
    assert np.array_equal(stabiliser.process(scene, scene, 0.0), scene)
    half = stabiliser.process(scene, add_noise(scene, rng), 0.5)
    assert half.dtype == np.uint8 and half.shape == scene.shape


def test_stabiliser_leaves_no_ghost_behind_a_fast_object():
    background = texture(13)
    stabiliser = Stabiliser()
    for i in range(8):
        x = 40 + 14 * i
        frame = with_object(background, x)
        output = stabiliser.process(frame, frame, 1.0)
    assert mean_abs(output[70:110, x - 14 : x], frame[70:110, x - 14 : x]) < 2.0  # the region it left
    assert mean_abs(output[70:110, x : x + 40], frame[70:110, x : x + 40]) < 2.0  # the object itself


def test_stabiliser_in_point_matches_a_full_render_after_warm_up():
    rng = np.random.default_rng(6)
    frames = pan(14, 22, 2, 90, 160)
    stylized = [add_noise(f, rng, 10.0) for f in frames]
    full = Stabiliser(still=None)  # the flow path (the still hold: test_temporal_still.py)
    assert full.warm_up_length == math.ceil(math.log(0.01) / math.log(full.hold)) == 44
    reference = [full.process(f, s, 1.0) for f, s in zip(frames, stylized, strict=True)]
    start = len(frames) - 1 - full.warm_up_length  # warm up with K frames, then render the last
    partial = Stabiliser(still=None)
    for f, s in zip(frames[start:-1], stylized[start:-1], strict=True):
        partial.process(f, s, 1.0)
    assert mean_abs(partial.process(frames[-1], stylized[-1], 1.0), reference[-1]) < 0.5


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [({"blend": 1.0}, "blend"), ({"blend": 0}, "blend"), ({"max_error": 0}, "max_error"),
     ({"blend": float("nan")}, "blend"), ({"cut_threshold": -1}, "cut_threshold"),
     ({"hold": 1.0}, "hold"), ({"hold": 0.5}, "hold"), ({"static_error": 0.3}, "static_error"),
     ({"detail_gain": 0.5}, "detail_gain")],
)
def test_stabiliser_rejects_bad_settings(kwargs, name):
    with pytest.raises(ValueError, match=f"Received: {name}="):
        StabiliserSettings(**kwargs)
    with pytest.raises(ValueError, match=f"Received: {name}="):
        Stabiliser(**kwargs)


def test_stabiliser_settings_and_overrides():
    settings = StabiliserSettings(hold=0.95, still=None)
    assert Stabiliser(settings).settings is settings
    assert Stabiliser(settings).warm_up_length == 90  # 0.95^90 <= 0.01, no still hold
    overridden = Stabiliser(settings, hold=0.85)
    assert overridden.settings == StabiliserSettings(hold=0.85, still=None)
    assert overridden.warm_up_length == Stabiliser(hold=0.85, still=None).warm_up_length == 29
    assert type(StabiliserSettings(max_error=1).max_error) is float
    with pytest.raises(TypeError, match="unknown settings blnd"):
        Stabiliser(blnd=0.5)
    with pytest.raises(ValueError, match="Received: settings=dict"):
        Stabiliser({"hold": 0.9})  # type: ignore[arg-type]


def test_stabiliser_rejects_bad_frames_and_strength():
    scene = texture(15, 40, 60)
    stabiliser = Stabiliser()
    with pytest.raises(ValueError, match="Received: strength=1.5"):
        stabiliser.process(scene, scene, 1.5)
    with pytest.raises(MediaError, match="Received: "):
        stabiliser.process(scene, scene[:20], 1.0)
    with pytest.raises(MediaError, match="Received: stylized.dtype=float32"):
        stabiliser.process(scene, scene.astype(np.float32), 1.0)
