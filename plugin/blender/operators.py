"""Bake: run ``stylecut render`` in a subprocess, then add the baked strip above the original.

:func:`bake_strip` is the core (``wait=True`` runs synchronously, for scripts and background
mode); the modal operator starts the same job, polls it on a timer, shows progress and cancels
it on Esc or the panel's Cancel button.
"""

import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import bpy

from . import bake_plan
from .bake_plan import StripInfo
from .props import preferences


class BakeError(RuntimeError):
    pass


# --- Blender version differences (Sequence → Strip in 4.4) ---------------------------------------


def _top_level(ed):
    coll = getattr(ed, "strips", None)
    return coll if coll is not None else ed.sequences


def _all_strips(ed):
    coll = getattr(ed, "strips_all", None)
    return coll if coll is not None else ed.sequences_all


def active_strip(scene):
    ed = scene.sequence_editor
    return ed.active_strip if ed is not None else None


def find_strip(scene, name):
    ed = scene.sequence_editor
    return _all_strips(ed).get(name) if (ed is not None and name) else None


def _fcurve_collections(scene):
    anim = scene.animation_data
    action = anim.action if anim is not None else None
    if action is None:
        return []
    fcurves = getattr(action, "fcurves", None)
    if fcurves is not None:
        return [fcurves]
    found = []  # layered actions (Blender ≥ 5.0): layers → strips → channelbags
    for layer in getattr(action, "layers", ()):
        for st in layer.strips:
            for bag in getattr(st, "channelbags", ()):
                found.append(bag.fcurves)
    return found


def strength_fcurve(scene, strip):
    paths = []
    try:
        paths.append(strip.path_from_id("stylecut_strength"))
    except (AttributeError, ValueError, TypeError):
        pass
    paths += bake_plan.fcurve_data_paths(strip.name)
    for fcurves in _fcurve_collections(scene):
        for path in paths:
            fc = fcurves.find(path)
            if fc is not None:
                return fc
    return None


def strip_info(strip):
    return StripInfo(
        name=strip.name, filepath=bpy.path.abspath(strip.filepath),
        frame_start=int(round(strip.frame_start)), frame_final_start=int(strip.frame_final_start),
        frame_final_end=int(strip.frame_final_end), channel=int(strip.channel),
        animation_offset_start=int(getattr(strip, "animation_offset_start", 0)),
    )


def is_retimed(strip):
    """A speed change: ``speed_factor`` (Blender < 4) or retiming keys (Blender ≥ 4)."""
    return getattr(strip, "speed_factor", 1.0) != 1.0 or len(getattr(strip, "retiming_keys", ())) > 0


def media_fps(scene, strip):
    """The movie's own frame rate: Blender shows one media frame per timeline frame whatever the
    scene's rate, and the engine reads strength keys in the clip's own seconds."""
    fps = float(getattr(strip, "fps", 0.0) or 0.0)
    return fps if fps > 0 else scene.render.fps / scene.render.fps_base


def _out_dir():
    if bpy.data.filepath:
        return bpy.path.abspath("//stylecut_baked")
    return os.path.join(tempfile.gettempdir(), "stylecut_baked")


def _stylecut_bin(context):
    prefs = preferences(context)
    addon_dir = Path(__file__).resolve().parent
    return bake_plan.resolve_stylecut_bin(prefs.stylecut_bin if prefs else "", addon_dir=addon_dir)


# --- the job ---------------------------------------------------------------------------------------


class BakeJob:
    """One running ``stylecut render``; stderr goes to a log file (read on failure)."""

    def __init__(self, scene, strip, stylecut_bin):
        if strip is None or strip.type != "MOVIE":
            raise BakeError("Select a movie strip to bake.")
        if is_retimed(strip):
            raise BakeError(
                f"Strip {strip.name!r} has a speed change (retiming); bake works on movie strips "
                "at their own speed: reset the speed, bake, then retime the baked strip."
            )
        style = strip.stylecut_style.strip()
        if style.startswith("//"):
            style = bpy.path.abspath(style)
        self.scene_name = scene.name
        self.strip_name = strip.name
        fcurve = strength_fcurve(scene, strip)
        try:
            self.plan = bake_plan.make_plan(strip_info(strip), media_fps(scene, strip), fcurve,
                                            float(strip.stylecut_strength), _out_dir())
            self.plan.output.parent.mkdir(parents=True, exist_ok=True)
            self.tmp = tempfile.mkdtemp(prefix="stylecut-bake-")
            keys = os.path.join(self.tmp, "strength.json")
            with open(keys, "w", encoding="utf-8") as f:
                json.dump(self.plan.keyframes, f)
            cmd = bake_plan.build_command(stylecut_bin, self.plan, style, keys, strip.stylecut_temporal)
        except ValueError as exc:
            raise BakeError(str(exc)) from None
        self.log_path = os.path.join(self.tmp, "stderr.log")
        self.started = time.monotonic()
        with open(self.log_path, "wb") as log:
            try:
                self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
            except OSError as exc:
                raise BakeError(f"Could not run {stylecut_bin!r}: {exc}") from None

    @property
    def elapsed(self):
        return time.monotonic() - self.started

    def poll(self):
        return self.proc.poll()

    def wait(self):
        return self.proc.wait()

    def cancel(self):
        """SIGTERM (the engine stops cleanly and writes nothing), then kill (a killed engine's temp
        and lock files are removed by the next render into that folder). Not SIGINT: a process
        started from a non-interactive shell's background job ignores SIGINT, and the engine would
        render on. Returns False when the render had already finished (nothing to cancel)."""
        if self.proc.poll() is None:
            try:
                self.proc.terminate()
                self.proc.wait(10)
            except (subprocess.TimeoutExpired, OSError):
                self.proc.kill()
                self.proc.wait()
        if self.proc.returncode == 0:
            return False
        self.cleanup()
        return True

    def cleanup(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def _log(self):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def progress(self):
        """Fraction rendered, from the engine's ``--progress-json`` lines (None before the first)."""
        return bake_plan.last_progress(self._log())

    def error_text(self):
        lines = [line.strip() for line in self._log().splitlines()
                 if line.strip() and not line.strip().startswith("{")]
        return lines[-1] if lines else f"stylecut exited with status {self.proc.returncode}"

    def finish(self):
        """After a successful render: add the baked strips, mute the original; returns the movie strip."""
        error = self.error_text() if self.proc.returncode != 0 else None
        self.cleanup()
        if error is not None:
            raise BakeError(error)
        scene = bpy.data.scenes[self.scene_name]
        strip = find_strip(scene, self.strip_name)
        if strip is None:
            raise BakeError(f"The strip {self.strip_name!r} is gone; the bake is in {self.plan.output}")
        remove_baked(scene, strip)
        coll = _top_level(scene.sequence_editor)
        start = int(strip.frame_final_start)
        name = f"{strip.name}.stylecut"
        movie = coll.new_movie(name, str(self.plan.output), strip.channel + 1, start)
        strip.stylecut_baked = movie.name
        try:
            sound = coll.new_sound(name + ".audio", str(self.plan.output), strip.channel + 2, start)
        except (RuntimeError, TypeError):
            sound = None  # no audio in the source
        strip.stylecut_baked_sound = sound.name if sound is not None else ""
        strip.mute = True
        return movie


def remove_baked(scene, strip):
    """Remove the strips an earlier bake of ``strip`` added."""
    coll = _top_level(scene.sequence_editor)
    for attr in ("stylecut_baked", "stylecut_baked_sound"):
        old = find_strip(scene, getattr(strip, attr))
        if old is not None:
            try:
                coll.remove(old)
            except (RuntimeError, ReferenceError):
                pass
        setattr(strip, attr, "")


def start_bake(scene, strip, stylecut_bin=None):
    return BakeJob(scene, strip, stylecut_bin or _stylecut_bin(bpy.context))


def bake_strip(scene, strip, wait=True, stylecut_bin=None):
    """Bake ``strip``. ``wait=True``: run to the end and return the new movie strip (raises
    BakeError on failure); ``wait=False``: return the running :class:`BakeJob`."""
    job = start_bake(scene, strip, stylecut_bin)
    if not wait:
        return job
    try:
        job.wait()
    except BaseException:
        job.cancel()
        raise
    return job.finish()


# --- operators ---------------------------------------------------------------------------------------


class STYLECUT_OT_bake(bpy.types.Operator):
    """Render the active movie strip with stylecut and put the result above it"""

    bl_idname = "stylecut.bake"
    bl_label = "Bake"
    bl_options = {"REGISTER"}

    _job = None
    _timer = None

    @classmethod
    def poll(cls, context):
        strip = active_strip(context.scene)
        return (strip is not None and strip.type == "MOVIE"
                and not context.window_manager.stylecut_running)

    def execute(self, context):  # scripts, background mode: synchronous
        try:
            bake_strip(context.scene, active_strip(context.scene))
        except BakeError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        return {"FINISHED"}

    def invoke(self, context, event):
        wm = context.window_manager
        try:
            self._job = bake_strip(context.scene, active_strip(context.scene), wait=False)
        except BakeError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        wm.stylecut_running, wm.stylecut_cancel, wm.stylecut_progress = True, False, 0.0
        wm.stylecut_status = "baking…"
        wm.progress_begin(0, 100)
        self._timer = wm.event_timer_add(0.25, window=context.window)
        wm.modal_handler_add(self)
        return {"RUNNING_MODAL"}

    def _done(self, context):
        wm = context.window_manager
        if self._timer is not None:
            wm.event_timer_remove(self._timer)
            self._timer = None
        wm.progress_end()
        wm.stylecut_running = False
        wm.stylecut_cancel = False
        for area in context.screen.areas if context.screen else ():
            area.tag_redraw()

    def modal(self, context, event):
        wm = context.window_manager
        job = self._job
        if (event.type == "ESC" or wm.stylecut_cancel) and job.cancel():
            self._done(context)
            wm.stylecut_status = "bake cancelled"
            self.report({"WARNING"}, "stylecut: bake cancelled")
            return {"CANCELLED"}
        if event.type != "TIMER":
            return {"PASS_THROUGH"}
        if job.poll() is None:
            seconds = job.elapsed
            done = job.progress()
            if done is None:  # before the engine's first progress line (loading the style)
                wm.stylecut_progress = 0.0
                wm.stylecut_status = f"baking… {seconds:.0f} s"
            else:
                wm.stylecut_progress = done
                wm.stylecut_status = f"baking… {done:.0%} ({seconds:.0f} s)"
            wm.progress_update(int(wm.stylecut_progress * 100))
            for area in context.screen.areas if context.screen else ():
                if area.type == "SEQUENCE_EDITOR":
                    area.tag_redraw()
            return {"RUNNING_MODAL"}
        self._done(context)
        try:
            movie = job.finish()
        except BakeError as exc:
            wm.stylecut_status = "bake failed"
            self.report({"ERROR"}, f"stylecut: {exc}")
            return {"CANCELLED"}
        wm.stylecut_progress = 1.0
        wm.stylecut_status = f"baked in {job.elapsed:.0f} s"
        self.report({"INFO"}, f"stylecut: baked {movie.name}")
        return {"FINISHED"}


class STYLECUT_OT_cancel(bpy.types.Operator):
    """Cancel the running bake"""

    bl_idname = "stylecut.cancel"
    bl_label = "Cancel"

    def execute(self, context):
        context.window_manager.stylecut_cancel = True
        return {"FINISHED"}


CLASSES = (STYLECUT_OT_bake, STYLECUT_OT_cancel)


def register():
    for cls in CLASSES:
        bpy.utils.register_class(cls)


def unregister():
    for cls in reversed(CLASSES):
        bpy.utils.unregister_class(cls)
