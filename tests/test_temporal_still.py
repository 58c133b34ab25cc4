"""The stabiliser's still hold (issue 18): where nothing moves, the painting must not boil."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from stylecut.core.metrics import static_flicker
from stylecut.core.temporal import Motion, Stabiliser, StillSettings

H, W = 96, 160


def scene(seed: int = 1) -> np.ndarray:
    """A smooth colour image (blobs, little fine texture)."""
    r = np.random.default_rng(seed).random((H // 24 + 2, W // 24 + 2, 3)).astype(np.float32)
    r = cv2.resize(r, (W, H), interpolation=cv2.INTER_CUBIC)
    return (np.clip(r, 0.1, 0.9) * 255).astype(np.uint8)


def noisy(image: np.ndarray, rng: np.random.Generator, sigma: float = 2.0) -> np.ndarray:
    """``image`` with per-frame sensor/compression-like noise."""
    return np.clip(image + rng.normal(0.0, sigma, image.shape), 0, 255).astype(np.uint8)


def paint(image: np.ndarray) -> np.ndarray:
    """A stand-in generator that repaints noise as texture: fine detail amplified 8x."""
    f = image.astype(np.float32)
    return np.clip(f + 8.0 * (f - cv2.GaussianBlur(f, (0, 0), 1.5)), 0, 255).astype(np.uint8)


def render(stabiliser: Stabiliser, frames: list[np.ndarray]) -> list[np.ndarray]:
    """What the renderer does: stylise Motion.source (the steadied input) where there is one."""
    out = []
    for frame in frames:
        motion = stabiliser.analyse(frame)
        source = frame if motion.source is None else motion.source
        out.append(stabiliser.apply(motion, paint(source), 1.0))
    return out


def test_static_scene_flickers_about_as_much_as_its_input():
    rng = np.random.default_rng(3)
    frames = [noisy(scene(), rng) for _ in range(24)]
    per_frame = static_flicker(frames, [paint(f) for f in frames])
    stable = static_flicker(frames, render(Stabiliser(), frames))
    assert per_frame.output > 5 * per_frame.input  # the stand-in boils
    assert stable.output < 1.5 * stable.input
    assert stable.output < 1.0
    # without the still hold the flow path alone leaves several times more
    flow_only = static_flicker(frames, render(Stabiliser(still=None), frames))
    assert flow_only.output > 2 * stable.output


def with_square(background: np.ndarray, x: int, y: int = 30, size: int = 30) -> np.ndarray:
    frame = background.copy()
    frame[y : y + size, x : x + size] = (235, 40, 40)
    return frame


def test_a_moving_object_moves_and_leaves_no_trail():
    rng = np.random.default_rng(4)
    background = scene(2)
    stabiliser = Stabiliser()
    for i in range(12):
        x = 10 + 9 * i
        frame = noisy(with_square(background, x), rng)
        motion = stabiliser.analyse(frame)
        output = stabiliser.apply(motion, paint(frame if motion.source is None else motion.source), 1.0)
    inside = output[34:56, x + 4 : x + 26].astype(np.float32)
    assert np.all(np.abs(inside.mean(axis=(0, 1)) - (235, 40, 40)) < 12)  # the square is where it is
    behind = (slice(30, 60), slice(x - 27, x))  # where it was over the last three frames
    left = output[behind].astype(np.float32)
    expected = background[behind].astype(np.float32).mean(axis=(0, 1))
    assert np.all(np.abs(left.mean(axis=(0, 1)) - expected) < 10)  # the background, no red trail


def test_a_slow_change_is_followed_not_frozen():
    # a slow fade (1 grey level per frame) stays inside the still test's bounds (the reference
    # follows its smooth change), and the held output follows it too: the steadied input's
    # smooth change is carried onto it (StillSettings.follow); without that it lags ~11 levels
    base = scene(5).astype(np.int16)
    frames = [np.clip(base + t, 0, 255).astype(np.uint8) for t in range(40)]
    lags = {}
    for follow in (0.5, 0.0):
        outputs = render(Stabiliser(still=StillSettings(follow=follow)), frames)
        lags[follow] = float(np.mean(paint(frames[-1]).astype(np.float32) - outputs[-1]))
    assert 0.0 <= lags[0.5] < 3.0
    assert lags[0.0] > 3 * lags[0.5]


def test_a_fade_is_followed_with_the_styles_own_response():
    # a style that inverts: the input brightens, its painting darkens; the held output follows
    # the stylised frames' smooth change (fitted per channel), not the input's
    base = scene(5).astype(np.int16)
    frames = [np.clip(base + t, 0, 255).astype(np.uint8) for t in range(40)]
    stabiliser, outputs = Stabiliser(), []
    for frame in frames:
        motion = stabiliser.analyse(frame)
        source = frame if motion.source is None else motion.source
        outputs.append(stabiliser.apply(motion, 255 - source, 1.0))
    error = float(np.mean(outputs[-1].astype(np.float32) - (255 - frames[-1].astype(np.float32))))
    assert abs(error) < 3.0  # without the follow (StillSettings(follow=0)) it lags ~12 levels


def test_an_in_point_render_matches_the_full_render():
    rng = np.random.default_rng(9)
    background = scene(10)
    k = Stabiliser().warm_up_length
    frames = [noisy(with_square(background, 5 + (3 * i) % 120), rng) for i in range(k + 40)]
    full = render(Stabiliser(), frames)
    part = render(Stabiliser(), frames[-k - 3 :])[k:]  # warm up with K frames, keep the last 3
    for a, b in zip(part, full[-3:], strict=True):
        assert float(np.mean(cv2.absdiff(a, b))) < 3.0  # the bar (issue 18), grey levels


def test_a_scene_cut_resets_the_steadied_input():
    rng = np.random.default_rng(6)
    stabiliser = Stabiliser()
    for _ in range(3):
        stabiliser.analyse(noisy(scene(7), rng))
    cut = noisy(scene(8)[::-1].copy(), rng)
    motion = stabiliser.analyse(cut)
    assert motion.fresh and motion.source is None  # the frame itself is stylised
    same = stabiliser.analyse(cut)
    assert same.source is not None and np.array_equal(same.source, cut)


def panning(frames: int, step: tuple[int, int] = (3, 1)) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """A camera panning ``step`` px/frame over a scene whose lower half is a flat wall (a faint
    stucco only), and what a boiling generator paints of it: a texture stuck to the scene plus
    fresh noise every frame. Returns (inputs, stylised frames)."""
    rng = np.random.default_rng(5)
    ch, cw = H + step[1] * frames + 8, W + step[0] * frames + 8
    detail = cv2.GaussianBlur(rng.random((ch, cw, 3)).astype(np.float32), (0, 0), 2.0)
    detail = cv2.normalize(detail, None, 20, 235, cv2.NORM_MINMAX)
    wall = 128 + cv2.GaussianBlur(rng.normal(0, 1, (ch, cw)).astype(np.float32), (0, 0), 1.5)[..., None] * 2
    canvas = np.concatenate([detail[: ch // 2], np.repeat(wall[ch // 2 :], 3, axis=2)]).astype(np.uint8)
    texture = cv2.GaussianBlur(rng.integers(0, 256, (ch, cw, 3), dtype=np.uint8), (0, 0), 1.2)
    inputs, styled = [], []
    for t in range(frames):
        y, x = step[1] * t, step[0] * t
        inputs.append(noisy(canvas[y : y + H, x : x + W], rng, 0.7))
        styled.append(noisy(texture[y : y + H, x : x + W], rng, 6.0))
    return inputs, styled


def test_held_areas_follow_a_camera_pan_when_asked():
    inputs, styled = panning(10)
    outputs = {}
    for pan in (None, 0.75):
        stabiliser = Stabiliser(still=StillSettings() if pan is None else StillSettings(pan=pan))
        outputs[pan] = [stabiliser.process(i, s, 1.0) for i, s in zip(inputs, styled, strict=True)]

    def wall_error(outs: list[np.ndarray]) -> float:
        """How far each output's wall is from the previous one moved with the camera."""
        errors = [np.abs(outs[t][H // 2 + 8 : -8, 8:-8].astype(np.float32)
                         - outs[t - 1][H // 2 + 9 : -7, 11:-5]).mean() for t in range(4, len(outs))]
        return float(np.mean(errors))

    # paint entering at the right and bottom edges is held only after a few frames
    stabiliser = Stabiliser(still=StillSettings(pan=0.75))
    motions = [stabiliser.analyse(frame) for frame in inputs]
    held = motions[-1].held
    assert held is not None
    assert held[H // 2 + 8 : -8, -2:].max() < 0.05 and held[-2:, 8:-8].max() < 0.05
    assert held[H // 2 + 8 : -24, 8:-24].mean() > 0.8
    # the default holds the wall's paint on the screen while the wall moves under it
    assert wall_error(outputs[None]) > 8.0  # 14.4 when written
    # following the pan, the held paint moves with the wall by whole pixels (no blur builds up)
    assert wall_error(outputs[0.75]) < 2.0  # 0.19 when written
    assert Stabiliser(still=StillSettings(pan=0.75)).still.pan == 0.75


def test_following_pans_changes_nothing_on_a_fixed_camera():
    rng = np.random.default_rng(3)
    frames = [noisy(scene(), rng) for _ in range(12)]
    assert all(np.array_equal(a, b) for a, b in zip(
        render(Stabiliser(), frames), render(Stabiliser(still=StillSettings(pan=0.75)), frames), strict=True))


def test_still_hold_off_and_settings():
    frame = scene()
    stabiliser = Stabiliser(still=None)
    stabiliser.analyse(frame)
    assert stabiliser.analyse(frame).source is None
    assert stabiliser.warm_up_length == 44  # the flow path's hold 0.9 alone
    # still.hold 0.96, a running mean of frames painted from a running mean: (1 + K/24)·0.96^K <= 0.01
    assert Stabiliser().warm_up_length == 164
    off = StillSettings(steady_input=False)
    assert Stabiliser(still=off).warm_up_length == 113  # no steadied input: 0.96^113 <= 0.01
    steady_off = Stabiliser(still=off)
    steady_off.analyse(frame)
    motion = steady_off.analyse(frame)
    assert isinstance(motion, Motion) and motion.source is None and motion.weight is not None


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [({"hold": 1.0}, "hold"), ({"low": -1}, "low"), ({"high": 1.0}, "high"),
     ({"sigma": 0}, "sigma"), ({"spread": 2.5}, "spread"), ({"steady_input": 1}, "steady_input"),
     ({"follow": 1.5}, "follow"), ({"follow_sigma": 0}, "follow_sigma"), ({"pan": 0}, "pan"),
     ({"pan": "1"}, "pan")],
)
def test_still_settings_reject_bad_values(kwargs, name):
    with pytest.raises(ValueError, match=f"Received: {name}="):
        StillSettings(**kwargs)


def test_stabiliser_rejects_a_bad_still():
    with pytest.raises(ValueError, match="Received: still=dict"):
        Stabiliser(still={})  # type: ignore[arg-type]
