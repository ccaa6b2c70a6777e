"""Shifted-window attention: the pieces against hand-worked and brute-force references."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from vistakit.layers import (
    ShiftedWindowAttention,
    ShiftedWindowAttentionV2,
    log_spaced_relative_coords,
    relative_position_index,
    shifted_window_mask,
    window_partition,
    window_reverse,
)


@pytest.mark.parametrize("shape,window", [((2, 8, 12, 3), 4), ((1, 6, 10, 5), (3, 5)), ((3, 7, 7, 2), 7)])
def test_partition_reverse_round_trip(shape, window):
    x = torch.randn(shape)
    wins = window_partition(x, window)
    wh, ww = (window, window) if isinstance(window, int) else window
    b, h, w, c = shape
    assert wins.shape == (b * (h // wh) * (w // ww), wh * ww, c)
    torch.testing.assert_close(window_reverse(wins, window, h, w), x, rtol=0, atol=0)


def test_partition_order_is_row_major_windows_and_tokens():
    x = torch.arange(2 * 4 * 6, dtype=torch.float32).reshape(2, 4, 6, 1)
    wins = window_partition(x, 2)  # 2 images x (2 x 3) windows of 2 x 2 tokens
    # window k of image b covers rows 2*(k//3) .. +2 and columns 2*(k%3) .. +2
    for b in range(2):
        for k in range(6):
            r, c = 2 * (k // 3), 2 * (k % 3)
            assert wins[b * 6 + k, :, 0].tolist() == x[b, r : r + 2, c : c + 2, 0].flatten().tolist()


def test_partition_rejects_a_map_that_is_not_whole_windows():
    with pytest.raises(ValueError, match=r"5 x 8 map.*4 x 4 windows.*8 x 8"):
        window_partition(torch.zeros(1, 5, 8, 1), 4)


def test_relative_position_index_against_the_definition():
    wh, ww = 3, 2
    idx = relative_position_index((wh, ww)).view(wh * ww, wh * ww)
    pos = [(y, x) for y in range(wh) for x in range(ww)]
    for i, (yi, xi) in enumerate(pos):
        for j, (yj, xj) in enumerate(pos):
            assert idx[i, j] == (yi - yj + wh - 1) * (2 * ww - 1) + (xi - xj + ww - 1)
    # the 2 x 2 window by hand: table 3 x 3, centre (same token) is row 4
    assert relative_position_index(2).view(4, 4).tolist() == [[4, 3, 1, 0], [5, 4, 2, 1], [7, 6, 4, 3], [8, 7, 5, 4]]


def test_log_spaced_coords_closed_form():
    t = log_spaced_relative_coords(8)
    assert t.shape == (1, 15, 15, 2)
    assert t[0, 7, 7].tolist() == [0.0, 0.0]
    torch.testing.assert_close(t[0, 0, 14], torch.tensor([-math.log2(9) / 3, math.log2(9) / 3]))
    # dy = 1 of 7 -> 8/7 before the log
    torch.testing.assert_close(t[0, 8, 7, 0], torch.tensor(math.log2(1 + 8 / 7) / 3))


def _group(pos: int, window: int, shift: int) -> int:
    """Which shifted window a position of the *unrolled* map falls in (Swin's shifted partition)."""
    if shift == 0:
        return pos // window
    return -1 if pos < shift else (pos - shift) // window


@pytest.mark.parametrize("h,w,window,shift", [(8, 12, 4, 2), (6, 6, 3, 1), (8, 8, 4, (2, 0))])
def test_mask_allows_exactly_the_pairs_of_one_shifted_window(h, w, window, shift):
    sh, sw = (shift, shift) if isinstance(shift, int) else shift
    mask = shifted_window_mask(h, w, window, shift)
    assert mask.shape == ((h // window) * (w // window), window * window, window * window)
    # rolled position p holds the token of unrolled position (p + shift) mod L
    ys, xs = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    coords = torch.stack([(ys + sh) % h, (xs + sw) % w], -1)[None].float()
    orig = window_partition(coords, window).long()  # (nW, N, 2) unrolled coordinates of every token
    for k in range(mask.shape[0]):
        for i in range(mask.shape[1]):
            for j in range(mask.shape[2]):
                (yi, xi), (yj, xj) = orig[k, i].tolist(), orig[k, j].tolist()
                same = _group(yi, window, sh) == _group(yj, window, sh) and _group(xi, window, sw) == _group(
                    xj, window, sw
                )
                assert mask[k, i, j] == (0.0 if same else -100.0), (k, i, j)


def _influence(layer: nn.Module, h: int, w: int, c: int) -> torch.Tensor:
    """(h*w, h*w) boolean: does input token q change output token p? One batch, one perturbation each."""
    x = torch.randn(1, h, w, c, dtype=torch.float64)
    xp = x.repeat(h * w, 1, 1, 1)
    q = torch.arange(h * w)
    xp[q, q // w, q % w] += 1.0
    diff = (layer(xp) - layer(x)).abs().amax(-1).flatten(1).T  # (p, q)
    assert ((diff > 1e-8) | (diff < 1e-14)).all(), "an influence that is neither clear nor absent"
    return diff > 1e-8


def _groups(length: int, window: int, shift: int) -> torch.Tensor:
    return torch.tensor([_group(i, window, shift) for i in range(length)])


@pytest.mark.parametrize("cls", [ShiftedWindowAttention, ShiftedWindowAttentionV2])
@pytest.mark.parametrize("h,w,shift", [(8, 8, 2), (8, 12, 2), (8, 8, 0), (6, 7, 2)])
def test_tokens_attend_only_within_their_shifted_window(cls, h, w, shift):
    torch.manual_seed(0)
    window = 4
    layer = cls(8, 2, window_size=window, shift_size=shift).double().eval()
    with torch.no_grad():
        if cls is ShiftedWindowAttentionV2:  # a mild temperature, so that every allowed pair is clearly felt
            layer.logit_scale.zero_()
            layer.cpb_mlp[2].weight.zero_()
        got = _influence(layer, h, w, 8)
    # the map is padded to whole windows first; the shift applies along sides with several windows
    hp, wp = -(-h // window) * window, -(-w // window) * window
    sh, sw = (shift if hp > window else 0), (shift if wp > window else 0)
    gy, gx = _groups(h, window, sh), _groups(w, window, sw)
    cell = (gy[:, None] * 100 + gx[None, :]).flatten()  # shifted window of every token
    want = cell[:, None] == cell[None, :]
    assert torch.equal(got, want), f"wrong (output, input) pairs: {(got != want).nonzero().tolist()[:5]}"


def test_unshifted_v1_is_multi_head_attention_per_window():
    torch.manual_seed(0)
    dim, heads, window = 12, 3, 3
    layer = ShiftedWindowAttention(dim, heads, window_size=window).eval()
    with torch.no_grad():
        layer.relative_position_bias_table.zero_()
    mha = nn.MultiheadAttention(dim, heads, batch_first=True).eval()
    with torch.no_grad():
        mha.in_proj_weight.copy_(layer.qkv.weight)
        mha.in_proj_bias.copy_(layer.qkv.bias)
        mha.out_proj.weight.copy_(layer.proj.weight)
        mha.out_proj.bias.copy_(layer.proj.bias)
    x = torch.randn(2, 6, 9, dim)
    with torch.no_grad():
        got = layer(x)
        for r in range(0, 6, window):
            for c in range(0, 9, window):
                tokens = x[:, r : r + window, c : c + window].reshape(2, -1, dim)
                want = mha(tokens, tokens, tokens, need_weights=False)[0].reshape(2, window, window, dim)
                torch.testing.assert_close(got[:, r : r + window, c : c + window], want, rtol=1e-5, atol=1e-5)


def test_v1_bias_is_the_table_looked_up_by_offset():
    layer = ShiftedWindowAttention(4, 2, window_size=(3, 2))
    bias = layer.relative_position_bias()
    assert bias.shape == (1, 2, 6, 6)
    pos = [(y, x) for y in range(3) for x in range(2)]
    for i, (yi, xi) in enumerate(pos):
        for j, (yj, xj) in enumerate(pos):
            row = (yi - yj + 2) * 3 + (xi - xj + 1)
            torch.testing.assert_close(bias[0, :, i, j], layer.relative_position_bias_table[row])


def test_v2_ignores_the_key_bias_and_v1_does_not():
    x = torch.randn(1, 4, 4, 8)
    for cls, changes in ((ShiftedWindowAttentionV2, False), (ShiftedWindowAttention, True)):
        torch.manual_seed(0)
        layer = cls(8, 2, window_size=4).eval()
        with torch.no_grad():
            layer.qkv.bias.normal_()
            before = layer(x)
            layer.qkv.bias[8:16] += 1.0
            assert (not torch.equal(layer(x), before)) == changes, cls.__name__


def test_state_names_are_torchvision_s():
    v1 = ShiftedWindowAttention(8, 2, window_size=7)
    assert list(v1.state_dict()) == [
        "relative_position_bias_table",
        "relative_position_index",
        "qkv.weight",
        "qkv.bias",
        "proj.weight",
        "proj.bias",
    ]
    v2 = ShiftedWindowAttentionV2(8, 2, window_size=8)
    assert list(v2.state_dict()) == [
        "logit_scale",
        "relative_coords_table",
        "relative_position_index",
        "qkv.weight",
        "qkv.bias",
        "proj.weight",
        "proj.bias",
        "cpb_mlp.0.weight",
        "cpb_mlp.0.bias",
        "cpb_mlp.2.weight",
    ]


def test_bad_configuration_is_a_clear_error():
    with pytest.raises(ValueError, match="not divisible by num_heads"):
        ShiftedWindowAttention(10, 3, window_size=4)
    with pytest.raises(ValueError, match=r"shift_size \(4, 4\) must lie in \[0, window\)"):
        ShiftedWindowAttention(8, 2, window_size=4, shift_size=4)
