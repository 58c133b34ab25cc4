"""Optical flow, warping, occlusion, scene cuts and temporal stabilisation of stylised video.

One import for the three modules that do the work:

- :mod:`.flow`: :class:`FlowEstimator` (OpenCV DIS), :func:`backward_warp`, :func:`occlusion_mask`;
- :mod:`.scene_cuts`: :func:`scene_cut`, :func:`cut_distance`;
- :mod:`.stabilizer`: :class:`Stabilizer`, which blends each stylised frame with the
  motion-compensated previous output, its :class:`StabilizerSettings` and :class:`StillSettings`.
"""

from __future__ import annotations

from .flow import FlowEstimator, FlowSettings, backward_warp, occlusion_mask
from .scene_cuts import cut_distance, scene_cut
from .stabilizer import (
    DEFAULT_STABILIZER,
    DEFAULT_STILL,
    STABILISER_FLOW,
    Motion,
    Stabilizer,
    StabilizerSettings,
    StillSettings,
)

__all__ = [
    "FlowEstimator",
    "FlowSettings",
    "DEFAULT_STABILIZER",
    "DEFAULT_STILL",
    "Motion",
    "STABILISER_FLOW",
    "Stabilizer",
    "StabilizerSettings",
    "StillSettings",
    "backward_warp",
    "cut_distance",
    "occlusion_mask",
    "scene_cut",
]
