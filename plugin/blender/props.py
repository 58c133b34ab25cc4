"""Properties: per-strip settings (strength is animatable), progress on the window manager, preferences."""

import bpy
from bpy.props import BoolProperty, EnumProperty, FloatProperty, StringProperty

from .bake_plan import ADDON_NAME

ADDON_ID = __package__ or ADDON_NAME

TEMPORAL_ITEMS = [
    ("stable", "Stable", "Temporal stabilisation (less flicker)"),
    ("off", "Off", "Stylize each frame independently"),
]


def strip_type():
    """``bpy.types.Strip`` (Blender ≥ 4.4) or ``bpy.types.Sequence`` (older)."""
    return getattr(bpy.types, "Strip", None) or bpy.types.Sequence


class StylecutPreferences(bpy.types.AddonPreferences):
    bl_idname = ADDON_ID

    stylecut_bin: StringProperty(  # type: ignore[valid-type]  # bpy reads properties from annotations
        name="stylecut executable",
        description="Path of the `stylecut` program (empty: $STYLECUT_BIN, then the path "
                    "`stylecut blender install` recorded, then PATH)",
        subtype="FILE_PATH", default="",
    )

    def draw(self, context):
        self.layout.prop(self, "stylecut_bin")


STRIP_PROPS = {
    "stylecut_style": lambda: StringProperty(
        name="Style", description="A style name (`stylecut styles`) or a style card's .json path",
        default=""),
    "stylecut_strength": lambda: FloatProperty(
        name="Strength", description="Style strength; keyframe it to animate the effect",
        default=1.0, min=0.0, max=1.0, subtype="FACTOR", options={"ANIMATABLE"}),
    "stylecut_temporal": lambda: EnumProperty(
        name="Temporal", items=TEMPORAL_ITEMS, default="stable"),
    "stylecut_baked": lambda: StringProperty(
        name="Baked strip", description="Name of the baked movie strip (replaced on re-bake)", default=""),
    "stylecut_baked_sound": lambda: StringProperty(name="Baked sound strip", default=""),
}

WM_PROPS = {
    "stylecut_running": lambda: BoolProperty(default=False),
    "stylecut_cancel": lambda: BoolProperty(default=False),
    "stylecut_progress": lambda: FloatProperty(name="Progress", default=0.0, min=0.0, max=1.0,
                                               subtype="FACTOR"),
    "stylecut_status": lambda: StringProperty(default=""),
}


def preferences(context=None):
    context = context or bpy.context
    addon = context.preferences.addons.get(ADDON_ID)
    return addon.preferences if addon is not None else None


def register():
    bpy.utils.register_class(StylecutPreferences)
    cls = strip_type()
    for name, make in STRIP_PROPS.items():
        setattr(cls, name, make())
    for name, make in WM_PROPS.items():
        setattr(bpy.types.WindowManager, name, make())


def unregister():
    cls = strip_type()
    for name in STRIP_PROPS:
        if hasattr(cls, name):
            delattr(cls, name)
    for name in WM_PROPS:
        if hasattr(bpy.types.WindowManager, name):
            delattr(bpy.types.WindowManager, name)
    bpy.utils.unregister_class(StylecutPreferences)
