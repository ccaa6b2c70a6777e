"""Every architecture against the reference: layout, parameter count, golden logits, GFLOPs.

One test per model builds it once and checks everything, so the suite stays lean.
"""

from __future__ import annotations

import numpy as np
import pytest

from vistakit.models import count_flops, list_models, model_info

from ._reference import (check_chaotic_logits, check_logits, filled_logits, load_reference,
                         logits_on_other_arithmetic, reference_model, reference_names)

NAMES = reference_names()


def test_every_reference_model_is_registered():
    if not NAMES:
        pytest.skip("../shared/reference/models.json is not on this machine")
    missing = sorted(set(NAMES) - set(list_models()))
    assert not missing, f"not in the zoo: {missing}"


@pytest.mark.parametrize("name", [n for n in NAMES if n in list_models()] or ["none"])
def test_matches_reference(name):
    if name == "none":
        pytest.skip("no reference models registered yet")
    ref = load_reference()[name]
    model = reference_model(name)

    # layout: every key with its shape and dtype, in the same order
    ours = [[k, list(v.shape), str(v.dtype).replace("torch.", "")] for k, v in model.state_dict().items()]
    theirs = [[k, list(s), d] for k, s, d in ref["state_dict"]]
    assert [r[0] for r in ours] == [r[0] for r in theirs], "state_dict keys differ from the reference"
    assert ours == theirs, "state_dict shapes or dtypes differ from the reference"

    n_params = sum(p.numel() for p in model.parameters())
    assert n_params == ref["num_params"]
    spec = model_info(name)
    assert spec.num_params == n_params
    size = int(ref["input_size"])
    assert spec.input_size == size

    # GFLOPs claimed in the registry, recomputed with our counter (float32, default size)
    assert count_flops(model, size) == pytest.approx(spec.gflops, rel=1e-3)

    out = filled_logits(model, size)
    ok, msg = check_logits(out, ref["golden_logits"])
    if not ok:  # a wrong network, or one that amplifies float64 rounding (see CHAOS_ENV)
        chaotic, ok, why = check_chaotic_logits(out.numpy(), logits_on_other_arithmetic(name), ref["golden_logits"])
        msg = f"{msg}; {why}" if chaotic else f"{msg}; other float64 rounding moves them by less than that"
    assert ok, f"{name}: golden logits differ: {msg}"


def test_the_chaos_fallback_tells_rounding_from_a_wrong_network():
    g = np.linspace(-100.0, 100.0, 20).reshape(2, 10)
    noisy = g + 8.0 * np.sin(np.arange(20.0)).reshape(2, 10)  # 8% of the largest logit, still correlated
    # rounding on other arithmetic moves this network by 5%: it is chaotic, and 8% is within reach of rounding
    assert check_chaotic_logits(noisy, noisy + 5.0, g)[:2] == (True, True)
    # other rounding barely moves it: the 8% error is the network's, not the arithmetic's
    assert check_chaotic_logits(noisy, noisy + 1e-9, g)[:2] == (False, False)
    # chaotic, but the logits are another network's (each row reversed: 95% off, correlation 0.50)
    chaotic, ok, msg = check_chaotic_logits(g[:, ::-1].copy(), g[:, ::-1] + 5.0, g)
    assert chaotic and not ok and "golden 9.5e-01" in msg and "correlation 0.5038" in msg
