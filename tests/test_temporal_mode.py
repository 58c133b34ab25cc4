"""One temporal mode, one default, in every layer (issue 20)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from stylecut.core import DEFAULT_TEMPORAL, RenderSettings, TemporalMode
from stylecut.plugin.cli import cli


def test_parse_accepts_the_enum_and_its_text_and_names_bad_values():
    assert TemporalMode.parse("stable") is TemporalMode.STABLE
    assert TemporalMode.parse(" OFF ") is TemporalMode.OFF
    assert TemporalMode.parse(TemporalMode.OFF) is TemporalMode.OFF
    with pytest.raises(ValueError, match=r"mode must be one of off, stable\. Received: mode='wobble'"):
        TemporalMode.parse("wobble", "mode")
    with pytest.raises(ValueError, match="Received: temporal=3"):
        TemporalMode.parse(3)


def test_it_reads_and_serialises_as_its_text():
    assert TemporalMode.STABLE == "stable" and f"{TemporalMode.OFF}" == "off" == str(TemporalMode.OFF)
    assert json.dumps({"t": TemporalMode.STABLE}) == '{"t": "stable"}'


def test_render_settings_default_and_coercion_match_the_cli():
    assert RenderSettings().temporal is DEFAULT_TEMPORAL is TemporalMode.STABLE
    assert RenderSettings(temporal="off").temporal is TemporalMode.OFF
    with pytest.raises(ValueError, match="temporal must be one of off, stable"):
        RenderSettings(temporal="sometimes")
    for command in (["render"], ["otio", "apply"]):
        help_text = CliRunner().invoke(cli, [*command, "--help"]).output
        assert "[off|stable]" in help_text and "default: stable" in help_text, command
