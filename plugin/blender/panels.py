"""The Sequencer sidebar panel (tab "Stylecut") for the active movie strip."""

import bpy

from .operators import active_strip


class SEQUENCER_PT_stylecut(bpy.types.Panel):
    bl_label = "stylecut"
    bl_space_type = "SEQUENCE_EDITOR"
    bl_region_type = "UI"
    bl_category = "Stylecut"

    @classmethod
    def poll(cls, context):
        strip = active_strip(context.scene)
        return strip is not None and strip.type == "MOVIE"

    def draw(self, context):
        layout = self.layout
        strip = active_strip(context.scene)
        wm = context.window_manager
        layout.prop(strip, "stylecut_style")
        layout.prop(strip, "stylecut_strength")
        layout.prop(strip, "stylecut_temporal")
        if wm.stylecut_running:
            row = layout.row()
            row.enabled = False
            row.prop(wm, "stylecut_progress", text=wm.stylecut_status or "baking…")
            layout.operator("stylecut.cancel", icon="CANCEL")
        else:
            label = "Re-bake" if strip.stylecut_baked else "Bake"
            layout.operator("stylecut.bake", text=label, icon="RENDER_ANIMATION")
            if wm.stylecut_status:
                layout.label(text=wm.stylecut_status)
        if strip.stylecut_baked:
            layout.label(text=f"Baked: {strip.stylecut_baked}", icon="CHECKMARK")


def register():
    bpy.utils.register_class(SEQUENCER_PT_stylecut)


def unregister():
    bpy.utils.unregister_class(SEQUENCER_PT_stylecut)
