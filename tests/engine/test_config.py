"""TrainConfig validation and YAML round trip; schedules against their closed forms; recipes."""

from __future__ import annotations

import math

import pytest

from vistakit.engine import TrainConfig, get_recipe, list_recipes, lr_factor


def test_yaml_round_trip(tmp_path):
    cfg = TrainConfig(
        epochs=3, lr=0.2, optimizer="sgd", mean=(0.5,), std=(0.25,), augment=[{"name": "BatchHorizontalFlip", "p": 0.5}]
    )
    path = tmp_path / "c.yaml"
    cfg.to_yaml(path)
    assert TrainConfig.from_yaml(path) == cfg
    assert TrainConfig.from_yaml(cfg.to_yaml()) == cfg


def test_unknown_option_suggests_the_field():
    with pytest.raises(ValueError, match="unknown training option 'weight_decy'; did you mean 'weight_decay'"):
        TrainConfig.from_dict({"weight_decy": 0.1})
    with pytest.raises(ValueError, match="'ema_decay'"):
        TrainConfig.from_dict({"ema_decy": 0.99})


@pytest.mark.parametrize(
    "field,value,expected",
    [
        ("optimizer", "adam", "adamw, sgd"),
        ("schedule", "step", "cosine"),
        ("epochs", 0, ">= 1"),
        ("amp", "fp8", "bf16"),
        ("batch_size", 10, "multiple of accum_steps"),
    ],
)
def test_bad_values_name_the_field(field, value, expected):
    kwargs = {field: value}
    if field == "batch_size":
        kwargs["accum_steps"] = 4
    with pytest.raises(ValueError, match=f"TrainConfig.{field}.*{expected}"):
        TrainConfig(**kwargs)


def test_cosine_schedule_closed_form():
    total, warm = 100, 10
    f = [lr_factor(s, total, schedule="cosine", warmup_steps=warm) for s in range(total)]
    assert f[0] == pytest.approx(0.1) and f[9] == pytest.approx(1.0)
    assert all(a < b for a, b in zip(f[:10], f[1:10]))
    for s in (10, 35, 55, 99):
        t = (s - warm) / (total - warm)
        assert f[s] == pytest.approx(0.5 * (1 + math.cos(math.pi * t)))
    assert lr_factor(total, total, schedule="cosine", warmup_steps=warm, final_fraction=0.1) == pytest.approx(0.1)


def test_onecycle_schedule_closed_form():
    total, warm = 50, 10
    assert lr_factor(0, total, schedule="onecycle", warmup_steps=warm) == pytest.approx(1 / 25 + (24 / 25) / 10)
    assert lr_factor(warm, total, schedule="onecycle", warmup_steps=warm) == pytest.approx(1.0)
    assert lr_factor(30, total, schedule="onecycle", warmup_steps=warm) == pytest.approx(0.5)
    assert lr_factor(50, total, schedule="onecycle", warmup_steps=warm) == pytest.approx(0.0)
    assert lr_factor(40, total, schedule="constant", warmup_steps=warm) == 1.0


def test_recipes():
    assert {"default", "fast", "best"} <= set(list_recipes())
    fast = get_recipe("fast").config(epochs=2)
    assert fast.epochs == 2 and fast.tta and fast.channels_last
    # a shorter run keeps the warm-up's share of the recipe (and stays valid at 1 epoch)
    rec = get_recipe("fast")
    share = rec.options["warmup_epochs"] / rec.options["epochs"]
    assert fast.warmup_epochs == pytest.approx(2 * share)
    assert get_recipe("fast").config(epochs=1).warmup_epochs == pytest.approx(share)
    assert get_recipe("fast").config(epochs=1, warmup_epochs=0.0).warmup_epochs == 0.0
    with pytest.raises(ValueError, match="did you mean fast"):
        get_recipe("fats")
