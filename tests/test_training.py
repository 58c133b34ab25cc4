"""Training on tiny generated data: a step changes weights, resume is exact, CLI saves a style."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

pytest.importorskip("tensorflow")

from stylecut.core.errors import ModelError  # noqa: E402
from stylecut.models.discriminators import DiscriminatorConfig  # noqa: E402
from stylecut.models.generators import GENERATOR_PRESETS  # noqa: E402
from stylecut.models.training import TrainConfig, _Trainer, train  # noqa: E402


def tiny_config(root: Path, style_file: Path, out: Path, **kw) -> TrainConfig:
    base = dict(
        name="tiny",
        style=(str(style_file),),
        content=(str(root / "content"),),
        out=str(out),
        generator=GENERATOR_PRESETS["tiny"],
        discriminator=DiscriminatorConfig(channels=8, layers=2),
        crop=64,
        batch=2,
        steps=2,
        held_out=2,
        checkpoint_every=1,
        sample_every=2,
        w_style=0.0,  # the VGG16 losses have their own tests (tests/test_perceptual.py)
        w_perceptual_content=0.0,
    )
    base.update(kw)
    return TrainConfig(**base)


def test_one_step_changes_generator_and_discriminator(tiny_data, tmp_path: Path):
    root, style = tiny_data
    trainer = _Trainer(tiny_config(root, style, tmp_path / "run", w_layout=1.0), root)
    g0 = [w.copy() for w in trainer.g.get_weights()]
    d0 = [w.numpy().copy() for w in trainer.d.trainable_variables]

    losses = trainer.train_step(trainer._content_batch(), trainer._style_batch())
    assert set(losses) >= {"d", "adv", "content", "colour", "layout", "temporal", "g"}
    assert all(np.isfinite(float(v)) for v in losses.values())
    assert any(not np.array_equal(a, b) for a, b in zip(g0, trainer.g.get_weights(), strict=True))
    assert any(
        not np.array_equal(a, b.numpy()) for a, b in zip(d0, trainer.d.trainable_variables, strict=True)
    )
    assert trainer.steps_done == 1


def test_style_scale_sets_the_scale_of_style_crops(tiny_data, tmp_path: Path):
    root, style = tiny_data
    whole = cv2.resize(cv2.cvtColor(cv2.imread(str(style)), cv2.COLOR_BGR2RGB), (64, 64),
                       interpolation=cv2.INTER_AREA).astype(np.float32) / 127.5 - 1.0
    views = [np.rot90(v, k) for v in (whole, whole[:, ::-1]) for k in range(4)]

    def is_whole_picture(crop: np.ndarray) -> bool:
        return any(np.allclose(crop, v, atol=1e-6) for v in views)

    # Short side = 1 × crop: every crop is the whole (96 px) style image shrunk to 64 px.
    whole_scale = _Trainer(tiny_config(root, style, tmp_path / "a", style_scale=(1.0, 1.0)), root)
    assert all(is_whole_picture(c) for c in whole_scale._style_batch())
    # At 1.5–2.2 × crop a crop is a part of the picture, at a finer scale.
    finer = _Trainer(tiny_config(root, style, tmp_path / "b", style_scale=(1.5, 2.2)), root)
    assert not any(is_whole_picture(c) for c in finer._style_batch())
    assert tiny_config(root, style, tmp_path / "c").style_scale == (1.5, 2.6)  # the default


def test_content_scale_sets_the_scale_of_content_crops(tiny_data, tmp_path: Path):
    root, style = tiny_data
    cfg = tiny_config(root, style, tmp_path / "a", content_scale=(1.0, 1.0))
    trainer = _Trainer(cfg, root)
    # Short side = 1 × crop: a crop spans the whole short side of its (rescaled) photo, so the
    # mean over crops of the local detail is lower than for crops cut from 3× larger photos.
    def detail() -> float:
        return float(np.mean([np.abs(np.diff(trainer._content_batch(), axis=2)).mean() for _ in range(8)]))

    coarse = detail()
    trainer.cfg = tiny_config(root, style, tmp_path / "b", content_scale=(3.0, 3.0))
    fine = detail()
    assert fine < coarse
    assert tiny_config(root, style, tmp_path / "c").content_scale == (1.5, 2.6)  # the default


def test_train_cli_style_layers_make_the_perceptual_config():
    from stylecut.plugin.train_cmd import _perceptual_config

    cfg = _perceptual_config("conv1_1, conv2_1,conv3_1", "conv3_1")
    assert cfg.style_layers == ("conv1_1", "conv2_1", "conv3_1") and cfg.content_layer == "conv3_1"
    assert cfg.style_layer_weights == (1.0, 1.0, 1.0)
    with pytest.raises(ModelError, match="style_layers"):
        _perceptual_config("conv1_1,pool3", "conv3_1")


def test_orientation_field_reads_stroke_direction_and_coherence():
    from stylecut.models.discriminators import orientation_field

    ramp = np.sin(np.arange(64, dtype=np.float32) / 2.0)
    vertical_stripes = np.broadcast_to(ramp[None, None, :, None], (1, 64, 64, 3))
    field = np.asarray(orientation_field(vertical_stripes))
    assert field.shape == (1, 32, 32, 3)
    np.testing.assert_allclose(field[0, 4:-4, 4:-4, 0], 1.0, atol=0.02)  # gradient along x: cos 2θ = 1
    field_t = np.asarray(orientation_field(np.transpose(vertical_stripes, (0, 2, 1, 3)).copy()))
    np.testing.assert_allclose(field_t[0, 4:-4, 4:-4, 0], -1.0, atol=0.02)
    noise = np.random.default_rng(0).uniform(-1, 1, (1, 64, 64, 3)).astype(np.float32)
    coherence = np.hypot(*np.moveaxis(np.asarray(orientation_field(noise))[0, ..., :2], -1, 0))
    assert coherence.mean() < 0.5  # isotropic grain is not a stroke
    full = np.asarray(orientation_field(vertical_stripes, scale=1))
    assert full.shape == (1, 64, 64, 3)
    np.testing.assert_allclose(full[0, 8:-8, 8:-8, 0], 1.0, atol=0.02)


@pytest.mark.parametrize("scales", [(2,), (1, 2)])
def test_orientation_heads_train(tiny_data, tmp_path: Path, scales: tuple[int, ...]):
    import tensorflow as tf

    root, style = tiny_data
    d_cfg = DiscriminatorConfig(channels=8, layers=2, orientation=True, orientation_scales=scales)
    trainer = _Trainer(tiny_config(root, style, tmp_path / "run", discriminator=d_cfg), root)
    heads = [h for h in (trainer.d.strokes, trainer.d.strokes_x1) if h is not None]
    assert len(heads) == len(scales) and len(trainer.d(tf.zeros((1, 64, 64, 3)))) == 3 + len(scales)
    before = [[w.numpy().copy() for w in h.trainable_variables] for h in heads]
    losses = trainer.train_step(trainer._content_batch(), trainer._style_batch())
    assert np.isfinite(float(losses["d"]))
    for head, old in zip(heads, before, strict=True):
        new = head.trainable_variables
        assert any(not np.array_equal(a, b.numpy()) for a, b in zip(old, new, strict=True))


def test_temporal_loss_is_equivariance_plus_noise_robustness():
    import keras
    from stylecut.models.losses import temporal_loss

    identity = keras.Sequential([keras.Input((None, None, 3)), keras.layers.Identity()])
    x = np.random.default_rng(1).uniform(-1, 1, (2, 64, 64, 3)).astype(np.float32)
    seed = keras.random.SeedGenerator(3)
    # an identity "generator" is perfectly equivariant: only the added noise is left, E|n| = σ·√(2/π)
    assert float(temporal_loss(identity, x, x, seed)) < 1e-5
    noisy = float(temporal_loss(identity, x, x, seed, noise=0.05))
    assert noisy == pytest.approx(0.05 * np.sqrt(2 / np.pi), rel=0.1)


def test_colour_moments_per_image_or_over_the_batch():
    from stylecut.models.losses import colour_moment_loss

    rng = np.random.default_rng(2)
    texture = rng.uniform(-0.3, 0.3, (1, 32, 32, 3)).astype(np.float32)
    style = np.concatenate([texture - 0.4, texture + 0.4])  # a dark and a bright crop
    # Outputs with exactly the painting's crops: per image each is 0.4 off the mean luma (and its
    # std is not the batch's), so it is pulled to the average tone; over the batch they match.
    per_image = float(colour_moment_loss(style, style))
    assert per_image > 0.4 / 3
    assert float(colour_moment_loss(style, style, per_image=False)) < 1e-6
    assert float(colour_moment_loss(style[::-1], style, per_image=False)) < 1e-6


def test_layout_loss_keeps_coarse_differences_not_palette_or_texture():
    from stylecut.models.losses import layout_loss

    rng = np.random.default_rng(4)
    x = rng.uniform(-0.5, 0.5, (2, 64, 64, 3)).astype(np.float32)
    x[0, :32] -= 0.3  # image 0 has a dark top half
    assert float(layout_loss(x, x)) < 1e-6
    assert float(layout_loss(x, x + 0.4)) < 1e-6  # the whole batch's palette moves: free
    texture = np.tile(np.array([[0.2, -0.2], [-0.2, 0.2]], np.float32), (32, 32))[None, ..., None]
    assert float(layout_loss(x, x + texture)) < 1e-6  # texture finer than a 32-px cell: free
    flat = x.copy()
    flat[0, :32] += 0.3  # the dark half is gone
    assert float(layout_loss(x, flat)) > 0.03  # luma only: (2 × 0.225 + 6 × 0.075) / 8 / 3 = 0.0375
    darker = x.copy()
    darker[1] -= 0.3  # one image darker than the other
    assert float(layout_loss(x, darker)) > 0.03


def test_raster_loss_is_the_power_of_a_pattern_fixed_to_the_4px_raster():
    from stylecut.models.losses import raster_loss

    rng = np.random.default_rng(5)
    x = rng.uniform(-1, 1, (2, 128, 128, 3)).astype(np.float32)
    tile = np.zeros((4, 4), np.float32)
    tile[::2, ::2], tile[1::2, 1::2], tile[0, 1] = 1.0, -1.0, 0.5
    lattice = np.tile(tile, (32, 32))[None, ..., None] * (3 / 127.5)  # ±3 grey levels
    expected = float(np.mean((tile - tile.mean()) ** 2)) * 9  # grey levels²
    assert float(raster_loss(x, x)) == 0.0
    assert float(raster_loss(x, x + lattice)) == pytest.approx(expected, rel=1e-4)
    noise = rng.normal(0, 30 / 127.5, x.shape).astype(np.float32)  # texture: not a lattice
    # the texture's noise in the per-phase means (2048 samples each) is a floor of ~σ²/2048
    assert 0.0 <= float(raster_loss(x, x + noise)) < 0.15 * expected
    assert float(raster_loss(x, x + noise + lattice)) == pytest.approx(expected, rel=0.25)
    for _ in range(5):  # never below zero, so a generator cannot drive it there
        assert float(raster_loss(x, rng.uniform(-1, 1, x.shape).astype(np.float32))) >= 0.0


def test_resume_continues_exactly(tiny_data, tmp_path: Path):
    root, style = tiny_data
    # 4 steps straight through ...
    full = train(tiny_config(root, style, tmp_path / "full", steps=4), data_root=root)
    # ... equals 2 steps, then a resume for 2 more
    train(tiny_config(root, style, tmp_path / "split", steps=2), data_root=root)
    resumed = train(tiny_config(root, style, tmp_path / "split", steps=4), data_root=root, resume=True)
    assert resumed.steps == 4
    t_full, t_res = full.trainer, resumed.trainer
    # the data stream continues exactly where it stopped
    assert t_res.rng.bit_generator.state == t_full.rng.bit_generator.state
    assert int(t_res.opt_g.iterations.numpy()) == int(t_full.opt_g.iterations.numpy()) == 4
    # weights agree up to float non-determinism (oneDNN threads), far below what training changed
    initial = _Trainer(tiny_config(root, style, tmp_path / "init"), root).g.get_weights()

    def dist(a: list[np.ndarray], b: list[np.ndarray]) -> float:
        return float(np.sqrt(sum(np.sum((x - y) ** 2) for x, y in zip(a, b, strict=True))))

    moved = dist(t_full.g.get_weights(), initial)
    assert moved > 0
    assert dist(t_full.g.get_weights(), t_res.g.get_weights()) < 0.05 * moved
    assert (tmp_path / "split" / "samples").is_dir()
    log = [json.loads(line) for line in (tmp_path / "split" / "train.log.jsonl").read_text().splitlines()]
    assert log and "diversity" in log[-1]


def test_bad_configs_raise_model_error(tiny_data, tmp_path: Path):
    root, style = tiny_data
    with pytest.raises(ModelError, match="style source"):
        tiny_config(root, style, tmp_path, style=())
    with pytest.raises(ModelError, match="crop must be"):
        tiny_config(root, style, tmp_path, crop=70)
    with pytest.raises(ModelError, match="loss must be"):
        tiny_config(root, style, tmp_path, loss="wgan")
    with pytest.raises(ModelError, match="temporal_noise"):
        tiny_config(root, style, tmp_path / "bad", temporal_noise=-0.1)
    with pytest.raises(ModelError, match="orientation_scales"):
        DiscriminatorConfig(orientation=True, orientation_scales=(4,))
    with pytest.raises(ModelError, match="colour_match"):
        tiny_config(root, style, tmp_path / "bad", colour_match="pixel")
    with pytest.raises(ModelError, match="w_layout"):
        tiny_config(root, style, tmp_path / "bad", w_layout=-1.0)
    with pytest.raises(ModelError, match="style_scale"):
        tiny_config(root, style, tmp_path / "bad", style_scale=(0.5, 2.0))
    with pytest.raises(ModelError, match="style_scale"):
        tiny_config(root, style, tmp_path / "bad", style_scale=(2.0, 1.5))
    with pytest.raises(ModelError, match="content_scale"):
        tiny_config(root, style, tmp_path / "bad", content_scale=(0.9, 1.2))
    with pytest.raises(ModelError, match="No checkpoint"):
        train(tiny_config(root, style, tmp_path / "nothing"), data_root=root, resume=True)


def test_train_cli_offers_every_generator_preset_and_colour_match():
    from stylecut.models.training import COLOUR_MATCH
    from stylecut.plugin.train_cmd import COLOUR_MATCH_NAMES, GENERATOR_PRESET_NAMES

    assert sorted(GENERATOR_PRESET_NAMES) == sorted(GENERATOR_PRESETS)
    assert COLOUR_MATCH_NAMES == COLOUR_MATCH


def test_train_cli_defaults_are_the_config_defaults():
    from dataclasses import fields

    from stylecut.plugin.train_cmd import train_cmd

    config = {f.name: f.default for f in fields(TrainConfig)}
    shared = {p.name: p.default for p in train_cmd.params if p.name in config}
    assert {"crop", "style_scale", "colour_match", "w_colour", "temporal_noise"} <= set(shared)
    for name, default in shared.items():
        if name in ("name", "style", "style_video", "content", "precision"):
            continue  # per run (no CLI default), or resolved from "auto" by the CLI
        assert default == config[name], name


def test_train_cli_saves_and_installs_a_style(tiny_data, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from click.testing import CliRunner
    from stylecut.models import find_style, load_stylizer
    from stylecut.plugin.cli import cli

    root, style = tiny_data
    monkeypatch.setenv("STYLECUT_STYLES", str(tmp_path / "user-styles"))
    args = ["train", "--name", "stripes", "--style", str(style), "--content", str(root / "content"),
            "--out", str(tmp_path / "run"), "--generator", "tiny", "--steps", "2", "--batch", "2",
            "--crop", "64", "--held-out", "2", "--sample-every", "2", "--precision", "float32",
            "--d-orientation", "--w-style", "0", "--w-perceptual-content", "0", "-q"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    card_path = tmp_path / "run" / "stripes.json"
    assert result.stdout.strip() == str(card_path)
    card = json.loads(card_path.read_text())
    assert card["generator"]["channels"] == GENERATOR_PRESETS["tiny"].channels
    assert card["training"]["steps"] == 2 and len(card["evaluation"]["held_out"]) == 2
    assert card["style_source"]["file"] == "style.png"
    assert card["training"]["config"]["discriminator"]["orientation"] is True
    installed = find_style("stripes")
    stylizer = load_stylizer(installed)
    frames = np.zeros((1, 40, 56, 3), np.uint8)
    assert stylizer.stylize(frames, np.ones(1, np.float32)).shape == (1, 40, 56, 3)

    # a style trained from it records every earlier stage and the time with them
    card["training"]["command"] = "stylecut train --name stripes ..."
    card["training"]["init_chain"] = [{"command": "stylecut train --name base ...", "steps": 5,
                                       "wall_time_s": 60.0}]
    card_path.write_text(json.dumps(card))
    again = CliRunner().invoke(cli, [*args[:2], "stripes2", *args[3:], "--init", str(card_path),
                                     "--no-install"])
    assert again.exit_code == 0, again.output
    trained = json.loads((tmp_path / "run" / "stripes2.json").read_text())["training"]
    assert trained["init_chain"] == [
        {"command": "stylecut train --name base ...", "steps": 5, "wall_time_s": 60.0},
        {"command": "stylecut train --name stripes ...", "steps": 2,
         "wall_time_s": card["training"]["wall_time_s"]},
    ]
    expected = trained["wall_time_s"] + 60.0 + card["training"]["wall_time_s"]
    assert abs(trained["wall_time_with_init_s"] - expected) <= 0.11


def test_export_style_from_a_checkpoint(tiny_data, tmp_path: Path):
    from click.testing import CliRunner
    from stylecut.models import find_style
    from stylecut.plugin.cli import cli

    root, style = tiny_data
    run = tmp_path / "run"
    result = train(tiny_config(root, style, run, precision="float32"), data_root=root)
    final = [w.copy() for w in result.generator.get_weights()]
    runner = CliRunner()
    latest = runner.invoke(cli, ["export-style", str(run)])  # default: the latest checkpoint (step 2)
    assert latest.exit_code == 0, latest.output
    assert latest.stdout.strip() == str(run / "step-2" / "tiny.json")
    first = runner.invoke(cli, ["export-style", str(run), "--step", "1", "--name", "tiny_1",
                                "--out", str(tmp_path / "s")])
    assert first.exit_code == 0, first.output
    card = json.loads((tmp_path / "s" / "tiny_1.json").read_text())
    state = json.loads((run / "checkpoints" / "step-0000001.json").read_text())
    assert state["held_out"] == list(result.held_out) and state["style_source"] == result.style_source
    assert card["training"]["steps"] == 1
    assert card["training"]["wall_time_s"] == round(state["wall_time"], 1) > 0
    assert card["evaluation"]["held_out"] == list(result.held_out)
    assert card["style_source"]["file"] == "style.png" and "tone_anchor" not in card
    export = ["export-style", str(run), "--tone-anchor"]
    anchored = runner.invoke(cli, [*export, "0.3", "--out", str(tmp_path / "a")])
    assert anchored.exit_code == 0, anchored.output
    anchor = json.loads((tmp_path / "a" / "tiny.json").read_text())["tone_anchor"]
    assert anchor == {"strength": 0.3, "cells": 21}
    bad_anchor = runner.invoke(cli, [*export, "1.5", "--out", str(tmp_path / "b")])
    assert bad_anchor.exit_code == 2 and not (tmp_path / "b").exists()
    assert bad_anchor.output.strip() == (
        "stylecut: error: tone_anchor must be a number in [0, 1]. Received: tone_anchor=1.5")
    exported = [find_style(str(p)) for p in (run / "step-2" / "tiny.json", tmp_path / "s" / "tiny_1.json")]
    from stylecut.models.generators import GeneratorConfig, build_generator

    def weights_of(card) -> list[np.ndarray]:
        generator = build_generator(GeneratorConfig.from_dict(card.data["generator"]))
        generator.load_weights(card.weights_path)
        return generator.get_weights()

    weights = [weights_of(c) for c in exported]
    # step 2 is the EMA generator the run ended with; step 1 is an earlier one
    assert all(np.array_equal(a, b) for a, b in zip(weights[0], final, strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(weights[1], final, strict=True))
    # a checkpoint from before they recorded time, held-out list and source: recomputed / from the log
    legacy = {k: v for k, v in state.items() if k not in ("wall_time", "held_out", "style_source")}
    (run / "checkpoints" / "step-0000001.json").write_text(json.dumps(legacy))
    old = runner.invoke(cli, ["export-style", str(run), "--step", "1", "--data-root", str(root),
                              "--out", str(tmp_path / "old")])
    assert old.exit_code == 0, old.output
    old_card = json.loads((tmp_path / "old" / "tiny.json").read_text())
    assert old_card["evaluation"]["held_out"] == list(result.held_out)
    assert old_card["style_source"] == card["style_source"] and "wall_time_s" not in old_card["training"]
    bad = runner.invoke(cli, ["export-style", str(run), "--step", "7"])
    assert bad.exit_code == 2 and "checkpoints at steps [1, 2]" in bad.output
    assert "not a training run folder" in runner.invoke(cli, ["export-style", str(tmp_path)]).output


def test_wall_time_from_a_resumed_log(tmp_path: Path):
    from stylecut.models.training import _wall_time_at

    log = tmp_path / "train.log.jsonl"
    times = [(10, 5.0), (20, 10.0), (30, 4.0), (40, 8.0)]  # resumed after step 20: the clock restarts
    log.write_text("".join(json.dumps({"step": n, "time": t}) + "\n" for n, t in times) + "not json\n")
    assert _wall_time_at(log, 20) == 10.0 and _wall_time_at(log, 40) == 18.0
    assert _wall_time_at(log, 50) is None and _wall_time_at(tmp_path / "absent", 10) is None


def test_names_are_relative_to_the_data_root_however_paths_are_given(
    tiny_data, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from stylecut.models.data import load_images

    root, _ = tiny_data
    monkeypatch.chdir(root.parent)
    relative_content = Path(root.name) / "content"
    for content, data_root in ((relative_content, root.resolve()), (root / "content", Path(root.name))):
        names = load_images([content], root=data_root).names
        assert names and all(n.startswith("content/") for n in names), names
