"""Style evaluation against the baselines: the core function and ``stylecut evaluate``."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner
from stylecut.core.colour_transfer import reinhard_transfer
from stylecut.core.evaluation import BASELINES, METRICS, evaluate_style, markdown_table, sheet


def _content(i: int, h: int = 120, w: int = 160) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.stack([128 + 90 * np.sin((x + 7 * i) / (9 + i)), 128 + 90 * np.cos(y / (5 + i)),
                    np.full_like(x, 40 * i % 255)], axis=-1)
    img[h // 3: h // 2, w // 4: w // 2] = (220, 60 + 30 * i, 30)
    return np.clip(img, 0, 255).astype(np.uint8)


def _style(h: int = 140, w: int = 180) -> np.ndarray:
    rng = np.random.default_rng(7)
    img = np.zeros((h, w, 3), np.float32)
    for _ in range(150):  # oriented "brush strokes"
        x0, y0 = int(rng.integers(0, w)), int(rng.integers(0, h))
        colour = tuple(float(c) for c in rng.integers(0, 256, 3))
        cv2.line(img, (x0, y0), (x0 + 25, y0 + 8), colour, 3)
    return img.astype(np.uint8)


def test_evaluate_style_keys_and_ratios() -> None:
    contents = [_content(i) for i in range(3)]
    style = _style()
    result = evaluate_style(lambda img: reinhard_transfer(img, [style]), contents, [style], seed=1)
    assert result["images"] == 3 and result["seed"] == 1
    assert set(result["baselines"]) == set(BASELINES)
    for row in [result["output"], *result["baselines"].values()]:
        assert set(row) == set(METRICS)
        assert all(isinstance(row[k], float) for k in METRICS)
    # the fake stylizer *is* the Reinhard baseline: ratios 1, identical rows
    assert result["output"] == result["baselines"]["reinhard"]
    assert result["ratios"]["reinhard"] == pytest.approx({"texture": 1.0, "colour": 1.0, "stroke": 1.0})
    assert set(result["ratios"]["reinhard_noise"]) == {"texture", "colour", "stroke"}
    assert result["baselines"]["input"]["structure"] == pytest.approx(1.0)
    assert result["baselines"]["reinhard"]["colour"] < result["baselines"]["input"]["colour"]
    json.dumps(result)
    table = markdown_table(result)
    assert "**output**" in table and "reinhard_noise" in table and "output ÷ reinhard" in table
    image = sheet(contents, [reinhard_transfer(c, style) for c in contents], [style], rows=2)
    assert image.dtype == np.uint8 and image.shape[0] > 2 * 120


def test_evaluate_style_rejects_bad_outputs() -> None:
    with pytest.raises(ValueError, match="Received: output"):
        evaluate_style(lambda img: img[:10], [_content(0), _content(1)], [_style()])


# --------------------------------------------------------------------------- CLI


@pytest.fixture(scope="module")
def eval_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("keras")
    from stylecut.models.generators import GENERATOR_PRESETS, build_generator
    from stylecut.models.registry import save_style

    root = tmp_path_factory.mktemp("evaldata")
    (root / "content").mkdir()
    (root / "styles").mkdir()
    for i in range(3):
        rgb = _content(i, 90, 130)
        cv2.imwrite(str(root / "content" / f"c{i}.png"), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    cv2.imwrite(str(root / "styles" / "s.png"), cv2.cvtColor(_style(), cv2.COLOR_RGB2BGR))
    config = GENERATOR_PRESETS["tiny"]
    save_style(root / "zoo", "tiny-eval", build_generator(config), config,
               {"style_source": {"path": "styles/s.png", "title": "test strokes", "licence": "CC0"},
                "evaluation": {"held_out": ["content/c0.png", "content/c2.png"]}})
    return root


def _run(*args: object):
    from stylecut.plugin.cli import cli

    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def test_cli_evaluate_writes_report(eval_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    result = _run("evaluate", "--style", eval_data / "zoo" / "tiny-eval.json",
                  "--content", eval_data / "content", "--style-image", eval_data / "styles" / "s.png",
                  "--out", out)
    assert result.exit_code == 0, result.stderr
    assert "**output**" in result.stdout and "ms/frame" in result.stdout
    data = json.loads((out / "evaluation.json").read_text())
    assert data["images"] == 3 and data["style"] == "tiny-eval"
    assert data["speed"]["width"] == 640 and data["speed"]["ms_per_frame"] > 0
    assert (out / "evaluation.md").read_text().startswith("# stylecut evaluate")
    assert cv2.imread(str(out / "sheet.png")) is not None


def test_cli_evaluate_defaults_from_card_and_json(eval_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    result = _run("evaluate", "--style", eval_data / "zoo" / "tiny-eval.json", "--data-root", eval_data,
                  "--limit", 1, "--out", out, "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["images"] == 1 and data["content_files"] == [str(eval_data / "content" / "c0.png")]
    assert data["style_files"] == [str(eval_data / "styles" / "s.png")]


def test_cli_evaluate_missing_content_is_one_line_error(eval_data: Path, tmp_path: Path) -> None:
    result = _run("evaluate", "--style", eval_data / "zoo" / "tiny-eval.json",
                  "--content", tmp_path / "nowhere", "--out", tmp_path / "r")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("stylecut: error: content")
    assert "Received: content=" in lines[0]

    (tmp_path / "empty").mkdir()
    result = _run("evaluate", "--style", eval_data / "zoo" / "tiny-eval.json",
                  "--content", tmp_path / "empty", "--out", tmp_path / "r")
    assert result.exit_code == 2 and "holds no images" in result.stderr


def test_cli_evaluate_without_the_training_data_names_the_data_root(eval_data: Path, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    card = eval_data / "zoo" / "tiny-eval.json"
    result = _run("evaluate", "--style", card, "--data-root", tmp_path / "elsewhere", "--out", tmp_path / "r")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "None of style 'tiny-eval'" in lines[0] and "--data-root" in lines[0]
    assert f"Received: data_root={str(tmp_path / 'elsewhere')!r}" in lines[0]
    monkeypatch.setenv("STYLECUT_DATA", str(eval_data))  # the environment's data root is used
    result = _run("evaluate", "--style", card, "--limit", 1, "--out", tmp_path / "r", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["content_files"] == [str(eval_data / "content" / "c0.png")]


def test_validation_and_test_splits_are_disjoint_halves_fixed_by_name() -> None:
    from stylecut.models.data import validation_split

    names = [f"photo_{i}.jpg" for i in range(41)]
    val, test = validation_split(names, "val"), validation_split(names, "test")
    assert sorted(val + test) == sorted(names) and not set(val) & set(test)
    assert len(val) == 21 and len(test) == 20
    assert validation_split(names[::-1], "test") == test[::-1]  # by name, not by position
    assert validation_split(names, "all") == names
    with pytest.raises(ValueError, match="Received: split='train'"):
        validation_split(names, "train")


def test_cli_evaluate_split(eval_data: Path, tmp_path: Path) -> None:
    from stylecut.models.data import validation_split

    counts = {}
    for split in ("val", "test"):
        result = _run("evaluate", "--style", eval_data / "zoo" / "tiny-eval.json", "--split", split,
                      "--content", eval_data / "content", "--out", tmp_path / split, "--json",
                      "--style-image", eval_data / "styles" / "s.png")
        assert result.exit_code == 0, result.stderr
        data = json.loads(result.stdout)
        assert data["split"] == split
        assert [Path(p).name for p in data["content_files"]] == validation_split(
            ["c0.png", "c1.png", "c2.png"], split)
        counts[split] = data["images"]
    assert counts["val"] + counts["test"] == 3
