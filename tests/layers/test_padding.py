"""TensorFlow "SAME" padding: hand-worked cases and the efficientnet_pytorch reference layers."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from vistakit.layers import Conv2dNormActivation, Conv2dSame, conv2d, freeze_same_padding, same_padding


@pytest.mark.parametrize(
    "size,kernel,stride,dilation,expected",
    [
        (224, 3, 2, 1, (0, 1)),  # 112 outputs read 225 inputs: the one extra pixel goes after
        (225, 3, 2, 1, (1, 1)),  # 113 outputs read 227 inputs
        (6, 5, 2, 1, (1, 2)),  # 3 outputs read (3 - 1) * 2 + 5 = 9 inputs: 3 extra, 1 before
        (7, 5, 2, 1, (2, 2)),  # 4 outputs read 11 inputs
        (5, 3, 1, 1, (1, 1)),  # stride 1, odd kernel: symmetric
        (4, 2, 1, 1, (0, 1)),  # stride 1, even kernel: the odd pixel after
        (8, 3, 1, 2, (2, 2)),  # dilation 2: effective kernel 5
        (10, 1, 3, 1, (0, 0)),  # 4 outputs read (4 - 1) * 3 + 1 = 10 inputs: none needed
        (3, 1, 2, 1, (0, 0)),
    ],
)
def test_same_padding_hand_worked(size, kernel, stride, dilation, expected):
    assert same_padding(size, kernel, stride, dilation) == expected


def test_same_padding_rejects_nonpositive():
    with pytest.raises(ValueError, match="must be >= 1"):
        same_padding(0, 3, 2)


def test_conv2d_same_hand_worked():
    # 4x4 input 1..16, 3x3 kernel of ones, stride 2: TensorFlow pads one zero row and column
    # at the bottom and right only, so each output sums the window starting at (2i, 2j).
    x = torch.arange(1.0, 17.0).reshape(1, 1, 4, 4)
    conv = Conv2dSame(1, 1, 3, 2, bias=False)
    nn.init.ones_(conv.weight)
    expected = torch.tensor(
        [
            [
                [
                    [1 + 2 + 3 + 5 + 6 + 7 + 9 + 10 + 11, 3 + 4 + 7 + 8 + 11 + 12],
                    [9 + 10 + 11 + 13 + 14 + 15, 11 + 12 + 15 + 16],
                ]
            ]
        ],
        dtype=torch.float32,
    )
    torch.testing.assert_close(conv(x), expected, rtol=0, atol=0)
    # PyTorch's symmetric padding would start at (-1, -1): the top-left output sums only 1+2+5+6
    sym = nn.Conv2d(1, 1, 3, 2, 1, bias=False)
    nn.init.ones_(sym.weight)
    assert sym(x)[0, 0, 0, 0].item() == 14.0


CASES = [  # (in, out, kernel, stride, dilation, groups, (H, W))
    (3, 8, 3, 2, 1, 1, (224, 224)),
    (3, 8, 3, 2, 1, 1, (225, 31)),
    (8, 8, 5, 2, 1, 8, (14, 15)),  # depthwise, odd and even sides
    (8, 8, 5, 1, 1, 8, (9, 10)),  # stride 1: symmetric, padding inside the conv
    (4, 6, 3, 1, 2, 2, (11, 12)),  # dilation
    (4, 6, 4, 2, 1, 1, (13, 16)),  # even kernel
    (4, 4, 1, 2, 1, 1, (7, 8)),  # 1x1 stride 2: no padding at all
    (2, 3, (3, 5), (2, 1), 1, 1, (10, 9)),  # rectangular kernel and stride
]


@pytest.mark.parametrize("cin,cout,k,s,d,g,size", CASES)
def test_matches_efficientnet_pytorch_reference(cin, cout, k, s, d, g, size):
    ref = pytest.importorskip("efficientnet_lite_pytorch.utils")
    torch.manual_seed(0)
    dynamic = Conv2dSame(cin, cout, k, s, dilation=d, groups=g)
    static = Conv2dSame(cin, cout, k, s, dilation=d, groups=g, image_size=size)
    static.load_state_dict(dynamic.state_dict())
    ref_dynamic = ref.Conv2dDynamicSamePadding(cin, cout, k, s, dilation=d, groups=g)
    ref_static = ref.Conv2dStaticSamePadding(cin, cout, k, s, image_size=list(size), dilation=d, groups=g)
    ref_dynamic.load_state_dict(dynamic.state_dict())
    ref_static.load_state_dict(dynamic.state_dict())
    x = torch.randn(2, cin, *size)
    want = ref_dynamic(x)
    torch.testing.assert_close(ref_static(x), want)  # the two reference layers agree at this size
    torch.testing.assert_close(dynamic(x), want, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(static(x), want, rtol=1e-5, atol=1e-5)
    sh, sw = (s, s) if isinstance(s, int) else s
    assert want.shape[-2:] == (-(-size[0] // sh), -(-size[1] // sw))


def test_state_dict_is_that_of_conv2d():
    a, b = Conv2dSame(3, 4, 3, 2), nn.Conv2d(3, 4, 3, 2)
    assert {k: v.shape for k, v in a.state_dict().items()} == {k: v.shape for k, v in b.state_dict().items()}
    assert not Conv2dSame(3, 4, 3, 2, bias=False).state_dict().keys() - {"weight"}


def test_static_padding_rejects_other_sizes():
    conv = Conv2dSame(3, 4, 3, 2, image_size=(32, 30))
    conv(torch.zeros(1, 3, 32, 30))
    with pytest.raises(ValueError, match="computed for 32x30 inputs, got 31x30"):
        conv(torch.zeros(1, 3, 31, 30))
    sym = Conv2dSame(3, 4, 3, 1, image_size=32)  # symmetric: the same at every size, nothing to reject
    assert sym(torch.zeros(1, 3, 17, 9)).shape == (1, 4, 17, 9)


def test_freeze_same_padding_records_each_convs_input_size():
    torch.manual_seed(0)
    net = nn.Sequential(
        Conv2dNormActivation(3, 8, 3, 2, "same"),  # 30 -> 15
        Conv2dNormActivation(8, 8, 5, 2, "same", groups=8),  # 15 -> 8
        Conv2dNormActivation(8, 8, 3, 1, "same"),  # symmetric, stays as it is
        Conv2dNormActivation(8, 4, 3, 2, "same"),  # 8 -> 4
    ).train()
    x = torch.randn(2, 3, 30, 30)
    net.eval()
    want = net(x)
    net.train()
    assert freeze_same_padding(net, 30) == 3
    assert net.training  # the probe ran in eval mode and restored the mode
    assert [m.image_size for m in net.modules() if isinstance(m, Conv2dSame) and not m.symmetric] == [
        (30, 30),
        (15, 15),
        (8, 8),
    ]
    net.eval()
    torch.testing.assert_close(net(x), want, rtol=0, atol=0)
    with pytest.raises(ValueError, match="computed for 30x30"):
        net(torch.randn(1, 3, 32, 32))
    assert freeze_same_padding(net, 32) == 3  # frozen again for another size
    assert net(torch.randn(1, 3, 32, 32)).shape == (1, 4, 4, 4)


def test_conv2d_factory():
    assert type(conv2d(3, 4, 3, 2)) is nn.Conv2d and conv2d(3, 4, 3, 2).padding == (1, 1)
    assert conv2d(3, 4, 3, 2, 0).padding == (0, 0)
    assert isinstance(conv2d(3, 4, 3, 2, "same"), Conv2dSame)
    with pytest.raises(ValueError, match="padding must be an int, None or 'same'"):
        conv2d(3, 4, 3, 2, "valid")
    block = Conv2dNormActivation(3, 4, 3, 2, "same")
    assert isinstance(block[0], Conv2dSame)
    assert set(block.state_dict()) == set(Conv2dNormActivation(3, 4, 3, 2).state_dict())
