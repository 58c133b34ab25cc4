"""Generators, their layers, weights files and the KerasStylizer (tiny configs: fast on a CPU)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from stylecut.core import ModelError, Stylizer, VideoReader, render  # noqa: E402
from stylecut.core.testing import make_clip  # noqa: E402
from stylecut.models import find_style, load_stylizer  # noqa: E402
from stylecut.models.generators import GENERATOR_PRESETS, GeneratorConfig, build_generator  # noqa: E402
from stylecut.models.keras_stylizer import KerasStylizer, resolve_precision  # noqa: E402
from stylecut.models.layers import (  # noqa: E402
    BilinearUp2,
    BinomialBlur,
    DepthToSpace,
    InstanceNorm,
    ReflectPad,
    ResidualBlock,
    SpaceToDepth,
)
from stylecut.models.registry import save_style  # noqa: E402

TINY = GENERATOR_PRESETS["tiny"]


def _strengthen(model: keras.Model) -> keras.Model:
    """Random weights with a visible effect (the head is initialised near zero)."""
    head = model.get_layer("head")
    kernel, bias = head.get_weights()
    head.set_weights([kernel * 2.0, bias])
    return model


@pytest.fixture(scope="module")
def tiny_generator() -> keras.Model:
    keras.utils.set_random_seed(1)
    return _strengthen(build_generator(TINY))


@pytest.fixture(scope="module")
def tiny_stylizer(tiny_generator: keras.Model) -> KerasStylizer:
    return KerasStylizer(tiny_generator, TINY, name="tiny", preferred_batch=2, precision="float32")


@pytest.fixture(scope="module")
def saved_style(tiny_generator: keras.Model, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("styles")
    card = save_style(folder, "tiny-test", tiny_generator, TINY,
                      {"style_source": {"file": "styles/x.jpg", "title": "X", "artist": "Y",
                                        "licence": "public domain"},
                       "training": {"steps": 0}})
    return card.card_path


def _frames(n: int, h: int, w: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, h, w, 3), dtype=np.uint8)


# --------------------------------------------------------------------------- config and layers


def test_config_dict_round_trip() -> None:
    for config in GENERATOR_PRESETS.values():
        data = json.loads(json.dumps(config.to_dict()))
        assert GeneratorConfig.from_dict(data) == config
    with pytest.raises(ModelError, match="Received: config="):
        GeneratorConfig.from_dict({**TINY.to_dict(), "depth": 3})
    with pytest.raises(ModelError, match="known: s2d, resize. Received: arch='unet'"):
        GeneratorConfig(arch="unet")
    with pytest.raises(ModelError, match="Received: fold=2"):
        GeneratorConfig(arch="resize", decoder="resize", fold=2)
    with pytest.raises(ModelError, match="Received: full_channels=-1"):
        GeneratorConfig(arch="resize", decoder="resize", full_channels=-1)
    with pytest.raises(ModelError, match="Received: full_blocks=-1"):
        GeneratorConfig(arch="resize", decoder="resize", full_blocks=-1)
    with pytest.raises(ModelError, match="Received: norm='batch'"):
        GeneratorConfig(arch="resize", decoder="resize", norm="batch")
    with pytest.raises(ModelError, match="Received: arch='s2d'"):
        GeneratorConfig(norm="instance")
    with pytest.raises(ModelError, match="antialias needs arch 'resize'"):
        GeneratorConfig(antialias=True)
    # cards written before full_blocks/norm existed load as the net they were trained as
    new_keys = ("full_blocks", "norm")
    old = {k: v for k, v in GENERATOR_PRESETS["painter"].to_dict().items() if k not in new_keys}
    explicit = GeneratorConfig.from_dict({**old, "full_blocks": 0, "norm": "none"})
    assert explicit == GeneratorConfig.from_dict(old)


def test_instance_norm_normalises_each_image_and_channel() -> None:
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((2, 16, 12, 3)) * [1.0, 5.0, 0.1] + [3.0, -2.0, 0.0]).astype("float32")
    y = keras.ops.convert_to_numpy(InstanceNorm()(x))
    np.testing.assert_allclose(y.mean(axis=(1, 2)), 0.0, atol=1e-5)
    np.testing.assert_allclose(y.std(axis=(1, 2)), 1.0, atol=1e-3)
    # per image: one image's statistics do not change the other's output
    y0 = keras.ops.convert_to_numpy(InstanceNorm()(x[:1]))
    np.testing.assert_allclose(y0, y[:1], atol=1e-5)


@pytest.mark.parametrize("layer", [
    SpaceToDepth(4, name="s2d"), DepthToSpace(2, name="d2s"), ReflectPad(2, name="pad"),
    ResidualBlock(8, separable=True, dilation=2, residual_scale=0.5, name="res"), BilinearUp2(name="up"),
    ResidualBlock(8, norm=True, residual_scale=1.0, name="res_norm"),
    InstanceNorm(epsilon=1e-3, name="inorm"), BinomialBlur(name="blur"),
])
def test_custom_layer_config_round_trip(layer: keras.layers.Layer) -> None:
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert type(restored) is type(layer) and restored.get_config() == config


@pytest.mark.parametrize("factor", [2, 4])
def test_space_to_depth_inverse(factor: int) -> None:
    x = np.random.default_rng(0).standard_normal((2, 8, 16, 3)).astype("float32")
    folded = SpaceToDepth(factor)(x)
    assert tuple(folded.shape) == (2, 8 // factor, 16 // factor, 3 * factor * factor)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(DepthToSpace(factor)(folded)), x)


def test_model_config_and_weights_round_trip(tiny_generator: keras.Model, tmp_path: Path) -> None:
    x = np.random.default_rng(0).uniform(-1, 1, (1, 16, 24, 3)).astype("float32")
    expected = keras.ops.convert_to_numpy(tiny_generator([x]))
    clone = keras.Model.from_config(tiny_generator.get_config())
    assert [w.shape for w in clone.weights] == [w.shape for w in tiny_generator.weights]
    clone.set_weights(tiny_generator.get_weights())
    np.testing.assert_allclose(keras.ops.convert_to_numpy(clone([x])), expected, atol=1e-6)

    path = tmp_path / "g.weights.h5"
    tiny_generator.save_weights(str(path))
    fresh = build_generator(TINY)
    fresh.load_weights(str(path))
    for a, b in zip(fresh.get_weights(), tiny_generator.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(fresh([x])), expected)


# --------------------------------------------------------------------------- stylizer


def test_stylizer_protocol_and_odd_sizes(tiny_stylizer: KerasStylizer) -> None:
    assert isinstance(tiny_stylizer, Stylizer)
    for shape in [(3, 37, 53), (1, 3, 5), (2, 16, 24)]:  # reflect pad, edge pad, no pad
        frames = _frames(*shape)
        out = tiny_stylizer.stylize(frames, np.ones(shape[0], np.float32))
        assert out.shape == frames.shape and out.dtype == np.uint8
    frames = _frames(3, 37, 53)
    out = tiny_stylizer.stylize(frames, np.ones(3, np.float32))
    assert np.abs(out.astype(int) - frames).mean() > 1.0  # the generator does something
    # batching does not change the result
    one_by_one = np.concatenate([tiny_stylizer.stylize(f[None], np.ones(1)) for f in frames])
    np.testing.assert_array_equal(one_by_one, out)


def test_instance_norm_stylizer_pads_a_margin_and_keeps_sizes() -> None:
    config = GeneratorConfig(arch="resize", decoder="resize", channels=8, blocks=1, coarse_channels=8,
                             coarse_blocks=1, decoder_channels=8, stem_channels=8, full_channels=4,
                             full_blocks=1, norm="instance")
    assert config.margin == 16 and GENERATOR_PRESETS["painter"].margin == 16
    keras.utils.set_random_seed(2)
    stylizer = KerasStylizer(build_generator(config), config, name="in", preferred_batch=2,
                             precision="float32")
    (top, bottom), (left, right) = stylizer._pad(37, 53)
    assert min(top, bottom, left, right) >= 16 and (37 + top + bottom) % 8 == (53 + left + right) % 8 == 0
    for shape in [(3, 37, 53), (1, 3, 5), (2, 16, 24)]:
        frames = _frames(*shape)
        out = stylizer.stylize(frames, np.ones(shape[0], np.float32))
        assert out.shape == frames.shape and out.dtype == np.uint8


def test_painter_has_no_pattern_fixed_to_the_pixel_grid() -> None:
    """Random weights, made strong: the space-to-depth "fast" net paints a lattice that stays put
    when the content moves by 1-3 px; the painter's output moves with its input."""
    import cv2
    from stylecut.core.metrics import grid_pattern_ratio, shift_equivariance_error

    rng = np.random.default_rng(0)
    noise = [rng.integers(0, 256, (160, 200, 3), dtype=np.uint8) for _ in range(2)]
    photos = [cv2.GaussianBlur(n, (0, 0), 2) for n in noise]
    scores = {}
    for preset in ("painter", "fast"):  # not painter-in: random instance-normalised nets amplify
        # near-constant channels (noise); bench_grid.py measures it with trained weights
        keras.utils.set_random_seed(1)
        config = GENERATOR_PRESETS[preset]
        model = build_generator(config)
        head = model.get_layer("head")
        kernel, bias = head.get_weights()
        head.set_weights([kernel * 4.0, bias])
        stylizer = KerasStylizer(model, config, name=preset, preferred_batch=2, precision="float32")

        def stylize(frames: np.ndarray, stylizer: KerasStylizer = stylizer) -> np.ndarray:
            return stylizer.stylize(frames, np.ones(len(frames), np.float32))

        outputs = [stylize(p[None])[0] for p in photos]
        scores[preset] = (grid_pattern_ratio(photos, outputs),
                          shift_equivariance_error(stylize, photos, (1, 2, 3), reference_shift=8).error)
    assert scores["fast"][0] > 5 and scores["fast"][1] > 3, scores  # the lattice is seen
    assert scores["painter"][0] < 1.5 and scores["painter"][1] < 1.0, scores


def test_binomial_blur_keeps_flat_areas_and_removes_the_finest_pattern() -> None:
    flat = np.full((1, 6, 9, 2), 0.3, np.float32)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(BinomialBlur()(flat)), flat, atol=1e-6)
    checker = (np.indices((8, 8)).sum(0) % 2).astype(np.float32)[None, :, :, None]
    out = keras.ops.convert_to_numpy(BinomialBlur()(checker))
    np.testing.assert_allclose(out[:, 1:-1, 1:-1], 0.5, atol=1e-6)  # period 2: gone


def test_antialiased_trunk_moves_with_its_input() -> None:
    """Random weights: blurring before each stride-2 conv lowers the 1-3 px shift error."""
    import dataclasses

    from stylecut.core.metrics import shift_equivariance_error

    rng = np.random.default_rng(0)
    photos = [rng.integers(0, 256, (120, 150, 3), dtype=np.uint8) for _ in range(2)]
    errors = {}
    for aa in (False, True):
        keras.utils.set_random_seed(1)
        config = dataclasses.replace(GENERATOR_PRESETS["painter"], antialias=aa)
        stylizer = KerasStylizer(_strengthen(build_generator(config)), config, name="aa",
                                 preferred_batch=2, precision="float32")

        def stylize(frames: np.ndarray, stylizer: KerasStylizer = stylizer) -> np.ndarray:
            return stylizer.stylize(frames, np.ones(len(frames), np.float32))

        errors[aa] = shift_equivariance_error(stylize, photos, (1, 2, 3), reference_shift=8).error
    assert errors[True] < 0.7 * errors[False], errors


def test_bilinear_up2_is_keras_bilinear_upsampling() -> None:
    x = np.random.default_rng(3).normal(size=(2, 5, 7, 3)).astype(np.float32)
    expected = keras.ops.convert_to_numpy(keras.layers.UpSampling2D(2, interpolation="bilinear")(x))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(BilinearUp2()(x)), expected, atol=1e-5)
    assert BilinearUp2().compute_output_shape((None, None, 4, 3)) == (None, None, 8, 3)


def test_strength_zero_is_exact_passthrough(tiny_stylizer: KerasStylizer) -> None:
    frames = _frames(3, 20, 30, seed=2)
    np.testing.assert_array_equal(tiny_stylizer.stylize(frames, np.zeros(3)), frames)
    mixed = tiny_stylizer.stylize(frames, np.array([0.0, 1.0, 0.5]))
    np.testing.assert_array_equal(mixed[0], frames[0])
    full = tiny_stylizer.stylize(frames, np.ones(3))
    np.testing.assert_array_equal(mixed[1], full[1])
    with pytest.raises(ValueError, match="Received"):
        tiny_stylizer.stylize(frames, np.ones(2))


def test_noise_input_is_fixed_per_size() -> None:
    config = GeneratorConfig(channels=8, blocks=1, coarse_channels=8, coarse_blocks=0, noise_channels=2)
    model = _strengthen(build_generator(config))
    stylizer = KerasStylizer(model, config, name="noisy", precision="float32", noise_seed=3)
    frame = _frames(1, 21, 30, seed=4)
    batch = np.repeat(frame, 3, axis=0)
    out = stylizer.stylize(batch, np.ones(3))
    assert (out == out[0]).all()  # every frame of a clip gets the same noise map: no flicker
    np.testing.assert_array_equal(stylizer.stylize(frame, np.ones(1))[0], out[0])
    other = KerasStylizer(model, config, name="noisy", precision="float32", noise_seed=4)
    assert not np.array_equal(other.stylize(frame, np.ones(1))[0], out[0])


def test_bf16_parity(tiny_generator: keras.Model, tiny_stylizer: KerasStylizer) -> None:
    before = keras.config.dtype_policy().name
    bf16 = KerasStylizer(tiny_generator, TINY, name="tiny", precision="bfloat16")
    assert keras.config.dtype_policy().name == before  # no global state leaked
    assert bf16.precision == "bfloat16" and tiny_stylizer.precision == "float32"
    frames = _frames(4, 48, 64, seed=5)
    a = tiny_stylizer.stylize(frames, np.ones(4))
    b = bf16.stylize(frames, np.ones(4))
    assert np.abs(a.astype(int) - frames).mean() > 5.0  # a visible effect to compare
    assert np.abs(a.astype(int) - b).mean() <= 1.0
    assert resolve_precision("auto") in ("float32", "bfloat16")
    with pytest.raises(ValueError, match="Received: precision='half'"):
        resolve_precision("half")


# --------------------------------------------------------------------------- style files


def test_save_style_and_from_card(saved_style: Path, tiny_stylizer: KerasStylizer) -> None:
    data = json.loads(saved_style.read_text())
    assert data["format"] == "stylecut.style" and data["version"] == 1 and data["name"] == "tiny-test"
    assert data["generator"] == TINY.to_dict() and data["style_source"]["artist"] == "Y"
    assert not [p for p in saved_style.parent.iterdir() if p.name.startswith(".")]  # no temp files
    stylizer = load_stylizer(find_style(str(saved_style)))
    assert isinstance(stylizer, KerasStylizer) and stylizer.name == "tiny-test"
    frames = _frames(2, 24, 40, seed=6)
    loaded = KerasStylizer.from_card(find_style(str(saved_style)), precision="float32")
    expected = tiny_stylizer.stylize(frames, np.ones(2))
    np.testing.assert_array_equal(loaded.stylize(frames, np.ones(2)), expected)


def test_card_tone_anchor(saved_style: Path, tiny_stylizer: KerasStylizer) -> None:
    from stylecut.core import ToneAnchor

    data = json.loads(saved_style.read_text())
    data["tone_anchor"] = {"strength": 0.4}
    saved_style.write_text(json.dumps(data))
    anchored = KerasStylizer.from_card(find_style(str(saved_style)), precision="float32")
    assert anchored.tone_anchor == ToneAnchor(0.4)
    frames = _frames(2, 36, 52, seed=7)
    plain = tiny_stylizer.generate(frames)
    np.testing.assert_array_equal(anchored.generate(frames), ToneAnchor(0.4).apply(frames, plain))
    assert np.abs(anchored.generate(frames).astype(int) - plain).mean() > 0.5
    data["tone_anchor"] = {"strength": 2}
    saved_style.write_text(json.dumps(data))
    with pytest.raises(ModelError, match=r"bad 'tone_anchor'.*Received: strength=2"):
        KerasStylizer.from_card(find_style(str(saved_style)))


def test_save_style_rejects_bad_names(tiny_generator: keras.Model, tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="Received: name='../evil'"):
        save_style(tmp_path, "../evil", tiny_generator, TINY, {})
    with pytest.raises(ModelError, match="do not match its config"):
        save_style(tmp_path, "ok", tiny_generator, GENERATOR_PRESETS["fast"], {})


def _card_with(folder: Path, name: str, config: GeneratorConfig) -> Path:
    card = folder / f"{name}.json"
    card.write_text(json.dumps({"name": name, "generator": config.to_dict()}))
    return card


def test_bad_weights_files(tmp_path: Path, tiny_generator: keras.Model) -> None:
    weights = tmp_path / "garbage.weights.h5"
    weights.write_bytes(b"not an hdf5 file" * 64)
    with pytest.raises(ModelError, match=r"not a readable HDF5.*Received: weights='.*garbage\.weights\.h5'"):
        KerasStylizer.from_card(find_style(str(_card_with(tmp_path, "garbage", TINY))))

    card = _card_with(tmp_path, "missing", TINY)
    from stylecut.models.registry import StyleCard

    with pytest.raises(ModelError, match=r"does not exist\. Received: weights="):
        KerasStylizer.from_card(StyleCard.from_json(card))

    tiny_generator.save_weights(str(tmp_path / "tiny.weights.h5"))
    for name, config in [
        ("fewer", GeneratorConfig(channels=16, blocks=0, coarse_channels=16, coarse_blocks=1)),  # surplus
        ("more", GeneratorConfig(channels=16, blocks=3, coarse_channels=16, coarse_blocks=1)),
        ("wider", GeneratorConfig(channels=24, blocks=1, coarse_channels=16, coarse_blocks=1)),
    ]:
        (tmp_path / f"{name}.weights.h5").write_bytes((tmp_path / "tiny.weights.h5").read_bytes())
        with pytest.raises(ModelError, match=r"does not match the generator architecture.*Received: weights"):
            KerasStylizer.from_card(find_style(str(_card_with(tmp_path, name, config))))

    (tmp_path / "nogen.weights.h5").write_bytes(b"")
    (tmp_path / "nogen.json").write_text(json.dumps({"name": "nogen"}))
    with pytest.raises(ModelError, match="no 'generator'"):
        KerasStylizer.from_card(find_style(str(tmp_path / "nogen.json")))


# --------------------------------------------------------------------------- end to end


def test_render_clip_end_to_end(tiny_stylizer: KerasStylizer, tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "in.mp4", frames=10, width=66, height=50, gop=5)
    result = render(clip, tmp_path / "out.mkv", tiny_stylizer, strength=1.0)
    assert result.frames == 10 and result.stylized_frames == 10
    with VideoReader(result.output) as styled, VideoReader(clip) as source:
        assert len(styled) == 10
        first, original = styled.read(0), source.read(0)
    assert first.shape == original.shape == (50, 66, 3)
    assert np.abs(first.astype(int) - original).mean() > 1.0
