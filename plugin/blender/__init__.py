"""stylecut for Blender's Video Sequencer: stylize a movie strip and bake it with the stylecut engine.

Install with ``stylecut blender install`` (or ``--zip`` for Edit ▸ Preferences ▸ Add-ons ▸ Install).
The panel is in the Sequencer's sidebar (N), tab "Stylecut". ``bake_plan`` is bpy-free; the other
modules import ``bpy`` and are loaded by :func:`register` only, so the package imports outside Blender.
"""

bl_info = {
    "name": "stylecut (VSE)",
    "author": "stylecut",
    "version": (0, 1, 0),
    "blender": (3, 4, 0),
    "location": "Sequencer ▸ Sidebar ▸ Stylecut",
    "description": "Video style transfer for movie strips: animatable strength, bake to a new strip",
    "category": "Sequencer",
}

_MODULES = ("props", "operators", "panels")


def _modules():
    import importlib

    return [importlib.import_module(f"{__name__}.{name}") for name in _MODULES]


def register():
    for module in _modules():
        module.register()
    import bpy

    if getattr(bpy.app, "module", False):
        # Blender as a Python module (``pip install bpy``): Python-defined properties still on
        # RNA types at interpreter exit make the process hang, so take them off first.
        import atexit

        atexit.register(_unregister_at_exit)


def _unregister_at_exit():
    try:
        unregister()
    except (RuntimeError, ValueError):  # already unregistered by the script
        pass


def unregister():
    for module in reversed(_modules()):
        module.unregister()
