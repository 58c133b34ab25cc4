"""Optical flow, warping, occlusion, scene cuts and temporal stabilisation of stylised video.

One import for the three modules that do the work:

- :mod:`.flow`: :class:`FlowEstimator` (OpenCV DIS), :func:`backward_warp`, :func:`occlusion_mask`;
- :mod:`.scene_cuts`: :func:`scene_cut`, :func:`cut_distance`;
- :mod:`.stabiliser`: :class:`Stabiliser`, which blends each stylised frame with the
  motion-compensated previous output, its :class:`StabiliserSettings` and :class:`StillSettings`.
"""

from __future__ import annotations

from .flow import FlowEstimator, FlowSettings, backward_warp, occlusion_mask
from .scene_cuts import cut_distance, scene_cut
from .stabiliser import (
    DEFAULT_STABILISER,
    DEFAULT_STILL,
    FOLLOW_PANS_FROM,
    FOLLOW_PANS_STABILISER,
    STABILISER_FLOW,
    Motion,
    Stabiliser,
    StabiliserSettings,
    StillSettings,
)

__all__ = [
    "FlowEstimator",
    "FlowSettings",
    "DEFAULT_STABILISER",
    "DEFAULT_STILL",
    "FOLLOW_PANS_FROM",
    "FOLLOW_PANS_STABILISER",
    "Motion",
    "STABILISER_FLOW",
    "Stabiliser",
    "StabiliserSettings",
    "StillSettings",
    "backward_warp",
    "cut_distance",
    "occlusion_mask",
    "scene_cut",
]
