"""Temporal stabilisation of a stylised sequence (:class:`Stabiliser`).

The stabiliser blends each stylised frame with the motion-compensated previous output, which
removes frame-to-frame flicker without ghost trails; where the input does not change it holds
the previous output in place and offers the generator a steadied input (:class:`StillSettings`),
so still areas do not boil. Frames are ``uint8`` RGB ``(H, W, 3)``; bad frames raise
:class:`~stylecut.core.errors.MediaError` (a ``ValueError``), bad parameters ``ValueError``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Any

import cv2
import numpy as np

from ._checks import check_fraction, check_frame, check_same_shape, check_strength, check_threshold, is_number
from .flow import FlowEstimator, FlowSettings, _boundary_planes, _grey, _maps
from .scene_cuts import _CUT_THRESHOLD, _thumb_distance, _thumbnail

__all__ = [
    "DEFAULT_STABILISER", "DEFAULT_STILL", "FOLLOW_PANS_FROM", "FOLLOW_PANS_STABILISER", "STABILISER_FLOW",
    "Motion", "Stabiliser", "StabiliserSettings", "StillSettings",
]

_FEATHER = 5  # box blur (pixels of the flow grid) that softens the trust mask's edges
_WARP_INTERPOLATION = cv2.INTER_LINEAR  # bicubic: 4 ms more at 640x360; the detail gain undoes the blur
_DETAIL_SIGMA = 2.5  # the detail band the stabiliser restores: what a Gaussian of this sigma removes
_FOLLOW_NEAR_SIGMA = 2.0  # px: the change a smooth change must agree with, pixel by pixel
_FOLLOW_EPS = 0.05  # grey levels²: smooth input changes far below ~0.2 levels carry (almost) nothing
_PAN_FADE_IN = 6  # shifts over which paint entering with a followed pan comes to be held
_ERROR_BLUR = 5  # box blur (frame pixels) of the input-vs-warped error: noise alone does not fade α


def _smooth(image: np.ndarray, sigma: float) -> np.ndarray:
    """A Gaussian blur of σ = ``sigma`` pixels of a float (H, W, C) image, done at a quarter of
    its size (the blur removes what the reduction loses)."""
    h, w = image.shape[:2]
    factor = 4 if sigma >= 4.0 and min(h, w) >= 16 else 1
    small = image
    if factor > 1:
        small = cv2.resize(image, (w // factor, h // factor), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), sigma / factor, borderType=cv2.BORDER_REFLECT)
    return small if factor == 1 else cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def _smooth_change(change: np.ndarray, sigma: float) -> np.ndarray:
    """The smooth part of a float (H, W, C) change, only where the change itself is there: the
    smaller in magnitude of its σ = ``sigma`` blur and its σ = 2 px blur, 0 where they disagree in
    sign (a fade passes whole; a moving edge's change does not leak into the still pixels
    around it)."""
    wide = _smooth(change, sigma)
    near = cv2.GaussianBlur(change, (0, 0), _FOLLOW_NEAR_SIGMA, borderType=cv2.BORDER_REFLECT)
    out = np.where(np.abs(near) < np.abs(wide), near, wide)
    out[(wide * near) <= 0] = 0.0
    return out.astype(np.float32, copy=False)


def _shifted(image: np.ndarray, dx: float, dy: float, interpolation: int) -> np.ndarray:
    """``image`` sampled at ``(x + dx, y + dy)`` (replicated border)."""
    h, w = image.shape[:2]
    matrix = np.array([[1.0, 0.0, dx], [0.0, 1.0, dy]], np.float32)
    return cv2.warpAffine(image, matrix, (w, h), flags=interpolation | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_REPLICATE)


def _fade_in_entering(still: np.ndarray, dx: float, dy: float) -> None:
    """Scale ``still`` (in place) down to 0 where ``(x + dx, y + dy)`` falls outside it, rising
    to 1 over the next ``_PAN_FADE_IN`` shifts: paint that enters with a pan is held only once
    it has been blended over several frames (held at once, each frame's entering strip would
    stay as a band of its own texture)."""
    h, w = still.shape
    for shift, size, axis in ((dx, w, 1), (dy, h, 0)):
        if shift == 0:
            continue
        edge = np.arange(size, dtype=np.float32)
        inside = (size - 1 - edge) if shift > 0 else edge  # distance from the entering edge
        ramp = np.clip((inside - abs(shift)) / (_PAN_FADE_IN * abs(shift)), 0.0, 1.0).astype(np.float32)
        still *= ramp[None, :] if axis == 1 else ramp[:, None]


def _to_uint8(image: np.ndarray) -> np.ndarray:
    """A float image in 0–255 rounded to uint8 (saturated)."""
    return cv2.convertScaleAbs(image)


#: The stabiliser's flow: DIS MEDIUM at 0.5× size (320×180 for 640×360), one direction per frame.
#: Its errors, times the brush texture's gradients, are what is left of the flicker: a stylised
#: frame frozen and dragged along this flow has about half the warping error it has along the
#: same preset at 0.4× (benchmarks/bench_temporal.py, "propagation floor"); 0.6× is a little
#: steadier again but pushes a stabilised render below 0.7× the per-frame speed.
STABILISER_FLOW = FlowSettings(scale=0.5, preset=cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)


@dataclass(frozen=True, kw_only=True)
class StillSettings:
    """Where the input does not change, :class:`Stabiliser` holds its previous output in place.

    The input's luma, blurred (Gaussian σ = ``sigma`` full-frame pixels), is compared with a
    per-pixel reference: the input as it was when the held output was painted (a running mean
    while the pixel is still, so noise is averaged out; the current frame where it moves). The
    difference ``d`` (grey levels 0–255) gives each pixel a stillness ``s``: 1 for ``d <= low``,
    0 for ``d >= high``, linear between, then eroded and softened over ``spread`` full-frame
    pixels so the edges of moving things are not held. A still pixel keeps ``hold`` of its
    previous output *unwarped* (the flow there is noise: carrying the texture along it makes
    the painting swim), the rest of the pixel is the flow-warped blend; ``s`` also scales the
    flow down, so the two paths join smoothly. ``hold`` < 1 bounds the memory, which keeps an
    in-point render close to a full one (see :attr:`Stabiliser.warm_up_length`).

    ``steady_input``: :meth:`Stabiliser.analyse` also offers the generator a steadied input
    (:attr:`Motion.source`): still pixels keep ``hold`` of the previous such frame, so the
    generator does not repaint the footage's noise (or a featureless surface's drift) there.
    A renderer that stylises ``Motion.source`` gets most of the stillness before blending.

    ``follow``: the share of a still pixel's *smooth* change (what a Gaussian of σ =
    ``follow_sigma`` full-frame pixels keeps of it) that the reference and the steadied input
    take on each frame, on top of ``1 − hold``; the held output takes on the smooth change that
    this causes in the stylised frame (the stylised frames' smooth change fitted to the steadied
    input's, one gain per channel, so the generator's own flicker is not carried). Fades,
    exposure drift and vignetting are then followed within a frame or two while fine texture
    (the painting's strokes, the footage's noise) is held, which lets ``low``/``high`` be wide
    enough for a slowly drifting camera over a featureless surface without a fade lagging.

    ``pan``: camera motion (px/frame: the median of the flow) from which the held layer moves
    with the picture, by whole pixels (the fraction is carried to the next frame, so the layer
    stays within half a pixel of the scene and its strokes are never resampled; paint entering
    at the frame's edge is held only once it has been blended over a few frames); below it, and
    by default (``inf``), held pixels stay where they are on the screen. Following pans keeps
    the paint of a sky or a plain wall on the scene (no "shower door"), but the static-flicker
    measure, which needs no optical flow, counts that motion as flicker (docs/benchmarks.md).
    ``stylecut render --follow-pans`` sets :data:`FOLLOW_PANS_FROM`.
    """

    hold: float = 0.96
    low: float = 4.0
    high: float = 12.0
    sigma: float = 2.0
    spread: int = 6
    steady_input: bool = True
    follow: float = 0.5
    follow_sigma: float = 8.0
    pan: float = math.inf

    def __post_init__(self) -> None:
        check_fraction(self.hold, "hold", "1 would freeze still areas for ever")
        if not is_number(self.low) or not 0.0 <= self.low < 255.0:
            raise ValueError(f"low must be a number in [0, 255). Received: low={self.low!r}")
        if not is_number(self.high) or not self.low < self.high <= 255.0:
            raise ValueError(
                f"high must be a number in (low={self.low}, 255]. Received: high={self.high!r}"
            )
        if not is_number(self.sigma) or not 0.0 < self.sigma <= 50.0:
            raise ValueError(f"sigma must be a number in (0, 50]. Received: sigma={self.sigma!r}")
        if isinstance(self.spread, bool) or not isinstance(self.spread, int) or not 0 <= self.spread <= 64:
            raise ValueError(f"spread must be an integer in [0, 64]. Received: spread={self.spread!r}")
        if not isinstance(self.steady_input, bool):
            raise ValueError(f"steady_input must be a bool. Received: steady_input={self.steady_input!r}")
        if not is_number(self.follow) or not 0.0 <= self.follow <= 1.0:
            raise ValueError(f"follow must be a number in [0, 1]. Received: follow={self.follow!r}")
        if not is_number(self.follow_sigma) or not 0.5 <= self.follow_sigma <= 100.0:
            raise ValueError(
                f"follow_sigma must be a number in [0.5, 100]. Received: follow_sigma={self.follow_sigma!r}"
            )
        if not is_number(self.pan) or not self.pan > 0.0:
            raise ValueError(f"pan must be a positive number (inf: off). Received: pan={self.pan!r}")


@dataclass
class _InputHistory:
    grey: np.ndarray  # the previous input, reduced grey (FlowEstimator.prepare)
    thumb: np.ndarray  # the previous input's scene-cut thumbnail
    small: np.ndarray  # the previous input, uint8 RGB at the flow's size
    shape: tuple[int, ...]  # the previous input's full shape
    reference: np.ndarray | None  # float32 blurred luma the still test compares with (reduced grid)
    source: np.ndarray | None  # float32: the previous frame to stylise (held where still), full size
    carry: tuple[float, float] = (0.0, 0.0)  # the held layer's offset from the scene (px, < 0.5)


@dataclass(frozen=True)
class Motion:
    """How an input frame follows the previous one: :meth:`Stabiliser.analyse`'s result.

    ``fresh``: no usable previous frame (first frame, scene cut, size change, skipped);
    otherwise ``maps`` (fixed-point ``cv2.remap`` maps that pull the previous frame onto this
    one) and ``weight`` (float32 ``(H, W)`` in [0, 1): the previous output's share of each
    output pixel at strength 1). ``source``, when not None, is the frame to stylise instead of
    the input: the input with its still areas held (:class:`StillSettings` ``steady_input``).
    ``follow``, when not None, is float32 ``(H, W, 3)``: the smooth change of the steadied input
    since the previous frame, and ``held`` float32 ``(H, W)``: each pixel's still hold (the
    previous output's share where the input is still); :meth:`Stabiliser.apply` carries the
    stylised frame's response to that change onto the held output (:class:`StillSettings`
    ``follow``)."""

    fresh: bool
    maps: tuple[np.ndarray, np.ndarray] | None = None
    weight: np.ndarray | None = None
    source: np.ndarray | None = None
    follow: np.ndarray | None = None
    held: np.ndarray | None = None


#: :attr:`StillSettings.pan` of ``stylecut render --follow-pans`` (px/frame of camera motion).
FOLLOW_PANS_FROM = 0.75

#: The still hold :class:`Stabiliser` uses by default (``still=None`` turns it off).
DEFAULT_STILL = StillSettings()


@dataclass(frozen=True, kw_only=True)
class StabiliserSettings:
    """How :class:`Stabiliser` blends (see there for what each setting does).

    ``blend``/``hold``: the previous output's share where the input changed / did not;
    ``flow``: the optical flow; ``max_error``/``static_error``: the warped-input error at which
    trust reaches 0 / below which a pixel counts as unchanged; ``detail_gain``: the most the
    fine detail is amplified back (1: off); ``cut_threshold``: the scene-cut distance;
    ``still``: the still hold (None: off). Invalid values raise ``ValueError``."""

    blend: float = 0.8
    hold: float = 0.9
    flow: FlowSettings = STABILISER_FLOW
    max_error: float = 0.25
    static_error: float = 0.012
    detail_gain: float = 1.6
    cut_threshold: float = _CUT_THRESHOLD
    still: StillSettings | None = DEFAULT_STILL

    def __post_init__(self) -> None:
        blend = check_fraction(self.blend, "blend", "1 would freeze the first frame")
        hold = check_fraction(self.hold, "hold", "1 would freeze the first frame")
        if hold < blend:
            raise ValueError(f"hold must be >= blend ({blend}). Received: hold={hold!r}")
        max_error, static_error, detail_gain = self.max_error, self.static_error, self.detail_gain
        if not is_number(max_error) or not max_error > 0.0:
            raise ValueError(f"max_error must be a positive number. Received: max_error={max_error!r}")
        if not is_number(static_error) or not 0.0 < static_error <= max_error:
            raise ValueError(
                f"static_error must be a number in (0, max_error={max_error}]. "
                f"Received: static_error={static_error!r}"
            )
        if not is_number(detail_gain) or not 1.0 <= detail_gain < math.inf:
            raise ValueError(
                f"detail_gain must be a number >= 1 (1: off). Received: detail_gain={detail_gain!r}"
            )
        if not isinstance(self.flow, FlowSettings):
            raise ValueError(f"flow must be a FlowSettings. Received: flow={type(self.flow).__name__}")
        if self.still is not None and not isinstance(self.still, StillSettings):
            raise ValueError(
                f"still must be a StillSettings or None. Received: still={type(self.still).__name__}"
            )
        threshold = check_threshold(self.cut_threshold, "cut_threshold")
        for name, value in (("blend", blend), ("hold", hold), ("max_error", max_error),
                            ("static_error", static_error), ("detail_gain", detail_gain),
                            ("cut_threshold", threshold)):
            object.__setattr__(self, name, float(value))


#: The stabiliser of ``--temporal stable`` (:attr:`~stylecut.core.RenderSettings.stabiliser`).
DEFAULT_STABILISER = StabiliserSettings()

#: The stabiliser of ``stylecut render --follow-pans``: the default, with held areas following
#: camera pans from :data:`FOLLOW_PANS_FROM` px/frame.
FOLLOW_PANS_STABILISER = StabiliserSettings(still=StillSettings(pan=FOLLOW_PANS_FROM))


class Stabiliser:
    """Temporal stabilisation of a stylised sequence, fed frame by frame in order.

    Each output is ``α·warp(previous output) + (1 − α)·stylized``, with the previous output
    warped along the flow from the current *input* frame to the previous one (bilinear).
    ``α = strength × trust × w`` per pixel:

    - ``trust`` comes from the input only: the warped previous input differs from the current
      one by ``e`` (mean over channels and a 5×5 neighbourhood, [0, 1] units); trust fades
      linearly from 1 to 0 as ``e`` goes to ``max_error``, and is 0 at motion boundaries and
      where the flow leaves the frame unless ``e`` is below ``static_error`` (there the warped
      input matches, so the warp is right whatever the flow's gradient says). Where the flow
      explains the input, the stylisation's own flicker is blended away however large it is;
      where it does not (fast or non-rigid motion the flow missed), nothing is blended, so there
      are no ghost trails.
    - ``w`` goes from ``hold`` where ``e`` is 0 down to ``blend`` at ``static_error``: pixels whose
      input did not change keep more of their history (the generator turns compression noise
      into texture changes; here they have no reason to change).

    Averaging two partly unrelated textures, and resampling the history, lower the texture's
    contrast (the style washes out over a few frames), so the blended frame's fine luma detail
    (what a Gaussian of σ = 2.5 px removes) is amplified back towards the local detail energy of
    ``stylized`` (8×8-pixel means), by at most ``detail_gain`` (1 turns this off).
    The first frame, the first after :meth:`reset` or after a scene cut between input frames,
    and any frame with strength 0 come out exactly as ``stylized``.

    Where the input does not change (``still``, a :class:`StillSettings`; None turns it off),
    the previous output is held unwarped at ``still.hold`` instead, and :meth:`analyse` offers a
    steadied input for the generator (:attr:`Motion.source`; the renderer stylises it).

    The work is split in two so a renderer can run the motion analysis ahead, on the decoder's
    thread: :meth:`analyse` (flow, trust, weights: input frames only) and :meth:`apply` (warp,
    blend, detail: needs the previous output). :meth:`process` does both. Call :meth:`analyse`
    for every input frame in order and :meth:`apply` for each of its results in the same order.

    Blending is recursive, so the output depends on the history: a render that starts at an
    in-point matches a full render within ~1 % once :attr:`warm_up_length` frames before the
    in-point have been fed through (outputs discarded; 164 frames with the still hold, 44
    without). Not thread-safe as a whole, but :meth:`analyse` and :meth:`apply` touch separate
    state and may run on two threads.

    Settings: ``settings`` (a :class:`StabiliserSettings`, default :data:`DEFAULT_STABILISER`),
    with keyword overrides of its fields (``Stabiliser(hold=0.95)``); :attr:`settings` holds the
    result.

    Cost at 640×360 with the default settings, on 2 idle cores: about 7 ms per frame in
    :meth:`analyse` (one DIS MEDIUM flow at 320×180) and 3 ms in :meth:`apply` (2 ms of it the
    detail restoration); the still hold adds about 2 ms to :meth:`analyse` (measured on a loaded
    machine: 13 → 15 ms).
    """

    def __init__(self, settings: StabiliserSettings | None = None, **overrides: Any) -> None:
        if settings is None:
            settings = DEFAULT_STABILISER
        elif not isinstance(settings, StabiliserSettings):
            raise ValueError(
                f"settings must be a StabiliserSettings. Received: settings={type(settings).__name__}"
            )
        unknown = sorted(set(overrides) - {f.name for f in fields(StabiliserSettings)})
        if unknown:
            raise TypeError(f"Stabiliser() got unknown settings {', '.join(unknown)}. "
                            f"Accepted: {', '.join(f.name for f in fields(StabiliserSettings))}")
        self.settings = replace(settings, **overrides) if overrides else settings
        self._flow = FlowEstimator(self.settings.flow)
        self._input: _InputHistory | None = None
        self._output: np.ndarray | None = None
        self._stylized: np.ndarray | None = None  # the previous stylised frame
        self._channel_mean = np.full((1, 3), 1.0 / 3.0, np.float32)

    @property
    def blend(self) -> float:
        return self.settings.blend

    @property
    def hold(self) -> float:
        return self.settings.hold

    @property
    def max_error(self) -> float:
        return self.settings.max_error

    @property
    def still(self) -> StillSettings | None:
        return self.settings.still

    @property
    def warm_up_length(self) -> int:
        """Frames to feed before an in-point so the output matches a full render: the longest
        memory decays to 1 %. The flow path's ``hold`` is one running mean (``hold^K <= 0.01``);
        a still pixel's output is a running mean of frames stylised from a running mean of the
        input (the steadied input), two in a row, whose memory decays as
        ``(1 + K (1 − h) / h) · h^K`` with ``h = still.hold``."""
        still = self.settings.still
        k = math.ceil(math.log(0.01) / math.log(self.settings.hold))
        if still is not None:
            h = still.hold
            cascade = still.steady_input
            k_still = 1
            while (1.0 + (k_still * (1.0 - h) / h if cascade else 0.0)) * h ** k_still > 0.01:
                k_still += 1
            k = max(k, k_still)
        return max(1, k)

    def reset(self) -> None:
        """Forget the history: the next frame comes out as its stylised frame."""
        self._input = None
        self._output = None
        self._stylized = None

    def process(self, inp: np.ndarray, stylized: np.ndarray, strength: float) -> np.ndarray:
        """The stabilised output for input frame ``inp`` and its stylised frame (uint8 RGB)."""
        inp = check_frame(inp, "inp")
        stylized = check_frame(stylized, "stylized")
        check_same_shape(inp, stylized, "inp and stylized")
        strength = check_strength(strength)
        return self.apply(self.analyse(inp, active=strength > 0.0), stylized, strength)

    def analyse(self, inp: np.ndarray, *, active: bool = True) -> Motion:
        """Motion from the previous input frame to ``inp`` (uint8 RGB); ``active=False`` only
        records the frame (its output will not be blended: strength 0)."""
        inp = check_frame(inp, "inp")
        full_grey = _grey(inp)
        grey = self._flow.prepare(full_grey)
        thumb = _thumbnail(full_grey)
        previous = self._input
        small = inp.copy() if grey.shape == inp.shape[:2] else cv2.resize(
            inp, (grey.shape[1], grey.shape[0]), interpolation=cv2.INTER_AREA
        )
        level = self._level(grey, inp.shape)
        if (
            not active
            or previous is None
            or previous.shape != inp.shape
            or _thumb_distance(previous.thumb, thumb) > self.settings.cut_threshold
        ):
            steady = self.settings.still is not None and self.settings.still.steady_input
            held = inp.astype(np.float32) if steady else None
            self._input = _InputHistory(grey, thumb, small, inp.shape, level, held)
            return Motion(True)
        motion, reference, held, carry = self._motion(previous, grey, small, level, inp)
        self._input = _InputHistory(grey, thumb, small, inp.shape, reference, held, carry)
        return motion

    def _level(self, grey: np.ndarray, shape: tuple[int, ...]) -> np.ndarray | None:
        """The blurred float luma the still test compares (reduced grid), or None when off."""
        still = self.settings.still
        if still is None:
            return None
        sigma = still.sigma * grey.shape[1] / shape[1]
        return cv2.GaussianBlur(grey.astype(np.float32), (0, 0), sigma, borderType=cv2.BORDER_REFLECT)

    def _stillness(
        self, reference: np.ndarray | None, level: np.ndarray | None, unit: float,
        shift: tuple[int, int] = (0, 0),
    ) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Per-pixel stillness in [0, 1] on the reduced grid (``unit``: its size ÷ the frame's)
        and the updated reference; (None, None) when the still hold is off. ``shift``: the held
        layer's whole-pixel shift this frame (frame pixels): nothing is still where it enters."""
        still = self.settings.still
        if still is None or reference is None or level is None:
            return None, None
        diff = cv2.absdiff(level, reference)
        s: np.ndarray = (np.float32(still.high) - diff) * np.float32(1.0 / (still.high - still.low))
        np.clip(s, np.float32(0.0), np.float32(1.0), out=s)
        side = round(still.spread * unit)
        if side >= 1:  # moving pixels spread to their neighbours, then the edge is softened
            kernel = np.ones((2 * side + 1, 2 * side + 1), np.uint8)
            s = cv2.erode(s, kernel, borderType=cv2.BORDER_REPLICATE)
            s = cv2.blur(s, (2 * side + 1, 2 * side + 1), borderType=cv2.BORDER_REPLICATE)
        if shift != (0, 0):  # the shifted layer has no content there
            _fade_in_entering(s, shift[0] * unit, shift[1] * unit)
        keep = s * np.float32(still.hold)  # a running mean where still, the current frame elsewhere
        delta = cv2.subtract(level, reference)
        updated = reference + (np.float32(1.0) - keep) * delta
        if still.follow > 0.0:  # the smooth part of the change is followed faster
            smooth = cv2.GaussianBlur(delta, (0, 0), still.follow_sigma * unit, borderType=cv2.BORDER_REFLECT)
            updated += keep * np.float32(still.follow) * smooth
        return s, updated

    def apply(self, motion: Motion, stylized: np.ndarray, strength: float) -> np.ndarray:
        """Blend ``stylized`` (uint8 RGB) with the previous output along ``motion``."""
        stylized = check_frame(stylized, "stylized")
        strength = check_strength(strength)
        previous = self._output
        if (
            motion.fresh
            or strength <= 0.0
            or previous is None
            or previous.shape != stylized.shape
            or motion.weight is None
            or motion.weight.shape != stylized.shape[:2]
        ):
            self._output = stylized.copy()
            self._stylized = self._output
            return stylized
        assert motion.maps is not None
        warped = cv2.remap(previous, *motion.maps, _WARP_INTERPOLATION, borderMode=cv2.BORDER_REFLECT)
        alpha = motion.weight * np.float32(strength)
        # (α·warped + (1 − α)·stylized) / (1 + ε), rounded: exactly `stylized` where α = 0.
        output = cv2.blendLinear(warped, stylized, alpha, np.float32(1.0) - alpha)
        if (motion.follow is not None and motion.held is not None and self._stylized is not None
                and self._stylized.shape == stylized.shape == motion.follow.shape):
            output = self._carry_smooth_change(output, stylized, motion.follow, motion.held, strength)
        if self.settings.detail_gain > 1.0:
            output = self._restore_detail(output, stylized)
        self._output = output
        self._stylized = stylized.copy()
        return output.copy()  # the caller may modify what it gets

    def _carry_smooth_change(self, output: np.ndarray, stylized: np.ndarray, change: np.ndarray,
                             held: np.ndarray, strength: float) -> np.ndarray:
        """``output`` + ``held`` × the stylised frame's response to the steadied input's smooth
        ``change``: the smooth change of the stylised frames, least-squares fitted to ``change``
        over the held pixels with one gain per channel (so a fade is followed with the style's
        own response to it, while the generator's frame-to-frame flicker is not carried)."""
        assert self._stylized is not None and self.settings.still is not None
        response = _smooth(cv2.subtract(stylized, self._stylized, dtype=cv2.CV_32F),
                           self.settings.still.follow_sigma)
        weighted = change * held[..., None]
        num = np.einsum("hwc,hwc->c", weighted, response)
        den = np.einsum("hwc,hwc->c", weighted, change) + np.float32(_FOLLOW_EPS) * float(held.sum())
        gain = np.clip(num / den, -1.0, 1.0).astype(np.float32)
        carried = weighted * (gain * np.float32(strength))
        return _to_uint8(cv2.add(output.astype(np.float32), carried))

    def _restore_detail(self, blended: np.ndarray, stylized: np.ndarray) -> np.ndarray:
        """``blended`` with its fine luma detail scaled up to the local detail energy of ``stylized``."""
        h, w = blended.shape[:2]
        size = (max(1, w // 8), max(1, h // 8))  # local energies on a 1/8 grid (box means)
        energies = []
        for image in (blended, stylized):
            grey = _grey(image)
            detail = cv2.subtract(grey, cv2.GaussianBlur(grey, (0, 0), _DETAIL_SIGMA), dtype=cv2.CV_32F)
            energy = cv2.resize(cv2.multiply(detail, detail), size, interpolation=cv2.INTER_AREA)
            energies.append((detail, energy))
        (detail, energy), (_, target) = energies
        gain = np.sqrt((target + np.float32(1.0)) / (energy + np.float32(1.0)))
        np.clip(gain, np.float32(1.0), np.float32(self.settings.detail_gain), out=gain)
        gain -= np.float32(1.0)
        extra = cv2.multiply(cv2.resize(gain, (w, h), interpolation=cv2.INTER_LINEAR), detail)  # luma to add
        # the same amount on R, G and B, saturated (uint8 throughout: a float RGB pass costs 1 ms more)
        up = cv2.cvtColor(cv2.convertScaleAbs(cv2.max(extra, 0.0)), cv2.COLOR_GRAY2RGB)
        down = cv2.cvtColor(cv2.convertScaleAbs(cv2.min(extra, 0.0)), cv2.COLOR_GRAY2RGB)
        return cv2.subtract(cv2.add(blended, up), down)

    def _motion(
        self,
        previous: _InputHistory,
        grey: np.ndarray,
        small: np.ndarray,
        level: np.ndarray | None,
        inp: np.ndarray,
    ) -> tuple[Motion, np.ndarray | None, np.ndarray | None, tuple[float, float]]:
        """Flow, boundaries, input check, stillness and weights on the flow's reduced grid
        (``grey``, ``small`` and ``level``: the current input ``inp`` there); maps, weights and
        the steadied source at full size. Also returns the still test's updated reference and
        the steadied source in float32 (the state the next frame blends with)."""
        h, w = inp.shape[:2]
        sh, sw = grey.shape
        to_prev = self._flow.flow_prepared(grey, previous.grey)  # t → t-1, reduced grid
        fx, fy = cv2.split(to_prev)
        map_x, map_y = _maps(fx, fy)
        trusted = np.logical_not(_boundary_planes(fx, fy, sw / w, map_x, map_y)).astype(np.float32)
        if min(sh, sw) > _FEATHER:  # ramp up over a few pixels next to boundaries
            trusted *= cv2.blur(trusted, (_FEATHER, _FEATHER), borderType=cv2.BORDER_REPLICATE)
        # How well the flow explains the input: mean absolute difference over channels, [0, 1],
        # over about 5×5 full-frame pixels.
        warped_in = cv2.remap(previous.small, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        error: np.ndarray = cv2.transform(cv2.absdiff(warped_in, small), self._channel_mean)
        box = max(1, round(_ERROR_BLUR * sw / w)) | 1
        error = cv2.blur(error, (box, box)).astype(np.float32)
        error *= np.float32(1.0 / 255.0)
        p = self.settings
        static = np.float32(1.0) - error * np.float32(1.0 / p.static_error)  # 1 at e = 0, 0 at static_error
        np.maximum(static, np.float32(0.0), out=static)
        fade = np.float32(1.0) - error * np.float32(1.0 / p.max_error)  # 1 at e = 0, 0 at max_error
        np.maximum(fade, np.float32(0.0), out=fade)
        weight = np.maximum(trusted, static)
        weight *= fade
        weight *= np.float32(p.blend) + np.float32(p.hold - p.blend) * static
        (sx, sy), carry = self._pan(fx, fy, w / sw, previous.carry)
        still, reference = self._stillness(previous.reference, level, sw / w, (sx, sy))
        keep: np.ndarray | None = None
        carried: np.ndarray | None = None
        if still is not None and p.still is not None:
            # still pixels: the previous output in place (the flow scaled down to 0), kept at still.hold
            moving = np.float32(1.0) - still
            fx = fx * moving
            fy = fy * moving
            if sx or sy:  # held pixels follow the pan: the held layer's whole-pixel shift
                fx += still * np.float32(sx * sw / w)
                fy += still * np.float32(sy * sh / h)
            keep = still * np.float32(p.still.hold)
            weight = weight * moving + keep
        if (sh, sw) != (h, w):
            size = (w, h)
            fx = cv2.resize(fx * np.float32(w / sw), size, interpolation=cv2.INTER_LINEAR)
            fy = cv2.resize(fy * np.float32(h / sh), size, interpolation=cv2.INTER_LINEAR)
            weight = cv2.resize(weight, size, interpolation=cv2.INTER_LINEAR)
            if keep is not None:
                keep = cv2.resize(keep, size, interpolation=cv2.INTER_LINEAR)
        maps = cv2.convertMaps(*_maps(fx, fy), cv2.CV_16SC2)
        held = None
        if keep is not None and previous.source is not None:
            # a running mean in float (uint8 rounding would freeze it for ever: no in-point match)
            current = inp.astype(np.float32)
            before = previous.source
            if sx or sy:  # the held input moves with the held output
                before = _shifted(before, sx, sy, cv2.INTER_NEAREST)
            held = cv2.blendLinear(before, current, keep, np.float32(1.0) - keep)
            if p.still is not None and p.still.follow > 0.0:
                follow = keep * np.float32(p.still.follow)  # the share of the smooth change followed
                smooth = _smooth_change(cv2.subtract(current, before), p.still.follow_sigma)
                held = cv2.add(held, smooth * follow[..., None])
                # the smooth change of the steadied input: (1 − keep) of it, plus the followed share
                carried = smooth * (np.float32(1.0) - keep + follow)[..., None]
        source = _to_uint8(held) if held is not None else None
        return (Motion(False, maps, weight, source, carried, keep if carried is not None else None),
                reference, held, carry)

    def _pan(self, fx: np.ndarray, fy: np.ndarray, unit: float,
             carry: tuple[float, float]) -> tuple[tuple[int, int], tuple[float, float]]:
        """The whole-pixel shift of the held layer for this frame and the offset left over: the
        flow's median (``unit``: frame pixels per flow pixel) when it reaches ``still.pan``
        px/frame, with the previous frames' leftover added; (0, 0) otherwise."""
        still = self.settings.still
        if still is None or not math.isfinite(still.pan):
            return (0, 0), (0.0, 0.0)
        gx = float(np.median(fx[::2, ::2])) * unit
        gy = float(np.median(fy[::2, ::2])) * unit
        if math.hypot(gx, gy) < still.pan:
            return (0, 0), (0.0, 0.0)
        ex, ey = gx + carry[0], gy + carry[1]
        sx, sy = round(ex), round(ey)
        return (sx, sy), (ex - sx, ey - sy)
