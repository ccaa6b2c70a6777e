"""The batched tensor path agrees with the single-image path and keeps its contracts."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import vistakit.transforms as T
from vistakit.structures import Sample
from vistakit.transforms import _functional_geometric as G
from vistakit.transforms import batch as B

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def _images(n=6, c=3, h=20, w=24, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (n, c, h, w), dtype=torch.uint8, generator=g)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize(
    "op, single", [(B.BatchHorizontalFlip, T.HorizontalFlip), (B.BatchVerticalFlip, T.VerticalFlip)]
)
def test_batch_flips_equal_single_flips(device, op, single):
    x = _images().to(device)
    out, _, params = op(p=0.5)(x, return_params=True, generator=torch.Generator().manual_seed(1))
    assert 0 < int(params["apply"].sum()) < len(x)
    for i in range(len(x)):
        ref = single(p=1.0)(Sample(image=x[i].cpu())).image if params["apply"][i] else x[i].cpu()
        assert torch.equal(out[i].cpu(), ref)


@pytest.mark.parametrize("channels", [1, 3])
def test_batch_color_jitter_agrees_with_color_jitter(channels):
    x = _images(n=8, c=channels, seed=2)
    bj = B.BatchColorJitter(brightness=0.5, contrast=0.5, saturation=0.5, hue=0.2, p=1.0)
    params = bj.get_params(8, 20, 24, generator=torch.Generator().manual_seed(3))
    out, _ = bj.apply(x, None, params)
    single = T.ColorJitter(p=1.0)
    for i in range(8):
        p = {k: float(params[k][i]) for k in ("brightness", "contrast", "saturation", "hue")}
        p["order"] = params["order"]
        ref = single.apply_image(x[i].permute(1, 2, 0).numpy(), p)
        diff = np.abs(out[i].permute(1, 2, 0).numpy().astype(int) - ref.astype(int))
        # Same matrices; OpenCV's 8-bit cv2.transform rounds a little differently from
        # float32 einsum (at most 1 level per step; later factors up to 1.5 amplify it).
        assert diff.max() <= 4 and diff.mean() < 0.3, (i, diff.max(), diff.mean())


def test_batch_colour_steps_agree_one_by_one():
    x = _images(n=1, seed=9)
    im = x[0].permute(1, 2, 0).numpy()
    from vistakit.transforms import _functional_color as C

    for op, f, fn in [
        (0, 1.3, C.adjust_brightness),
        (1, 0.7, C.adjust_contrast),
        (2, 1.4, C.adjust_saturation),
        (3, 0.15, C.adjust_hue),
    ]:
        got = B.adjust_batch(x.float(), op, torch.tensor([f], dtype=torch.float64), bound=255.0, uint8=True)
        diff = np.abs(got[0].permute(1, 2, 0).numpy() - fn(im, f))
        assert diff.max() <= 1 and diff.mean() < 0.1


@pytest.mark.parametrize("device", DEVICES)
def test_batch_affine_uses_the_same_matrix_as_affine(device):
    x = _images(n=4, h=32, w=32, seed=4)
    ba = B.BatchAffine(scale=(0.8, 1.2), translate=0.1, rotate=30, shear=10, p=1.0)
    out, _, params = ba(x.to(device), return_params=True, generator=torch.Generator().manual_seed(0))
    m = params["matrix"]
    for i in range(4):
        # recover the angle etc. is not needed: warp the single image with the very same matrix
        ref = G.warp_affine(x[i].permute(1, 2, 0).numpy(), m[i].numpy(), 32, 32, interpolation="linear")
        got = out[i].cpu().permute(1, 2, 0).numpy().astype(int)
        diff = np.abs(got - ref.astype(int))[2:-2, 2:-2]  # borders: zero padding vs OpenCV's constant border
        assert diff.mean() < 1.0 and np.percentile(diff, 99) <= 3, (diff.mean(), diff.max())
    # The batch matrices are the single-image composition.
    aff = G.affine_matrix(center=(16, 16), angle=10.0, translate=(2.0, -3.0), scale=(1.1, 1.1), shear_deg=(5.0, 0.0))
    one = lambda v: torch.tensor([v], dtype=torch.float64)  # noqa: E731
    bm = B._affine_matrices(1, 32, 32, one(10.0), one(2.0), one(-3.0), one(1.1), one(1.1), one(5.0), one(0.0))
    np.testing.assert_allclose(bm[0].numpy(), aff, atol=1e-12)


def test_batch_random_crop_is_an_exact_padded_crop_on_small_grey_images():
    x = _images(n=16, c=1, h=28, w=28, seed=5)
    op = B.BatchRandomCrop(28, padding=4)
    out, _, params = op(x, return_params=True, generator=torch.Generator().manual_seed(0))
    padded = torch.nn.functional.pad(x, (4, 4, 4, 4))
    for i in range(16):
        y0, x0 = int(params["y0"][i]), int(params["x0"][i])
        assert torch.equal(out[i], padded[i, :, y0 : y0 + 28, x0 : x0 + 28])
    assert len({(int(a), int(b)) for a, b in zip(params["y0"], params["x0"])}) > 4


def test_batch_random_resized_crop_shapes_and_identity_fallback():
    x = _images(n=5, h=30, w=40, seed=6)
    out, _ = B.BatchRandomResizedCrop((16, 16))(x, generator=torch.Generator().manual_seed(0))
    assert out.shape == (5, 3, 16, 16) and out.dtype == torch.uint8
    same, _, params = B.BatchRandomResizedCrop((30, 40), p=0.0)(x, return_params=True)
    assert torch.equal(same, x)  # unselected samples: whole image, identity scale


def test_batch_random_erasing_rectangles():
    x = torch.full((10, 3, 30, 30), 200, dtype=torch.uint8)
    out, _, params = B.BatchRandomErasing(value=0, p=1.0)(
        x, return_params=True, generator=torch.Generator().manual_seed(0)
    )
    for i in range(10):
        x0, y0, x1, y1 = params["boxes"][i].tolist()
        assert (out[i, :, y0:y1, x0:x1] == 0).all()
        assert int((out[i, 0] == 0).sum()) == (x1 - x0) * (y1 - y0)
        assert 0.0 < (x1 - x0) * (y1 - y0) / 900 <= 0.35


def test_batch_mixup_and_cutmix_soft_targets():
    n, k = 8, 5
    values = torch.arange(n, dtype=torch.uint8) * 30
    x = values.view(n, 1, 1, 1).expand(n, 1, 12, 12).contiguous()
    labels = torch.arange(n) % k
    out, y, params = B.BatchCutMix(num_classes=k, p=1.0)(
        x, labels, return_params=True, generator=torch.Generator().manual_seed(0)
    )
    assert y.shape == (n, k) and torch.allclose(y.sum(1), torch.ones(n))
    perm = params["perm"]
    for i in range(n):
        own = float((out[i] == values[i]).float().mean())
        if perm[i] != i:
            assert abs(float(params["lam"][i]) - own) < 1e-6
    xm, ym, pm = B.BatchMixUp(num_classes=k, p=1.0)(
        x.float() / 255, labels, return_params=True, generator=torch.Generator().manual_seed(1)
    )
    lam = pm["lam"].float()
    ref = lam[:, None] * torch.nn.functional.one_hot(labels, k) + (1 - lam[:, None]) * torch.nn.functional.one_hot(
        labels[pm["perm"]], k
    )
    torch.testing.assert_close(ym, ref.float())
    torch.testing.assert_close(
        xm[:, 0, 0, 0], lam * values.float() / 255 + (1 - lam) * values[pm["perm"]].float() / 255
    )


def test_batch_normalize_matches_normalize():
    x = _images(n=2, seed=7)
    out, _ = B.BatchNormalize()(x)
    ref = T.Normalize()(Sample(image=x[0])).image
    torch.testing.assert_close(out[0], ref, atol=1e-5, rtol=0)
    grey, _ = B.BatchNormalize()(x[:, :1])
    assert grey.shape == (2, 1, 20, 24)


def test_batch_compose_is_reproducible_and_keeps_dtypes():
    x = _images(n=16, c=1, h=28, w=28, seed=8)
    labels = torch.arange(16) % 10

    def pipe():
        return B.BatchCompose(
            [
                B.BatchRandomCrop(28, padding=2),
                B.BatchHorizontalFlip(),
                B.BatchAffine(rotate=10, p=0.5),
                B.BatchColorJitter(brightness=0.3, contrast=0.3),
                B.BatchRandomErasing(),
                B.BatchMixUp(num_classes=10, p=0.5),
            ],
            seed=4,
        )

    a, ya = pipe()(x, labels)
    b, yb = pipe()(x, labels)
    assert torch.equal(a, b) and torch.equal(ya, yb)
    assert a.dtype == torch.uint8 and a.shape == x.shape and ya.shape == (16, 10)


def test_batch_bad_input():
    with pytest.raises(ValueError, match=r"\(N, C, H, W\) tensor"):
        B.BatchHorizontalFlip()(torch.zeros(3, 8, 8))
    with pytest.raises(ValueError, match="1 or 3 channels"):
        B.BatchHorizontalFlip()(torch.zeros(2, 4, 8, 8))
    with pytest.raises(ValueError, match="num_classes is needed"):
        B.BatchMixUp()(torch.zeros(2, 1, 4, 4), torch.tensor([0, 1]))


@pytest.mark.parametrize("dtype", [torch.uint8, torch.float32])
def test_batch_ops_leave_their_input_alone(dtype):
    x = _images(n=6, seed=11)
    x = x if dtype == torch.uint8 else x.float() / 255
    before = x.clone()
    labels = torch.arange(6) % 3
    ops = [
        B.BatchHorizontalFlip(p=1.0),
        B.BatchVerticalFlip(p=1.0),
        B.BatchRandomCrop(16, padding=2),
        B.BatchAffine(rotate=20, p=1.0),
        B.BatchRandomResizedCrop(12),
        B.BatchColorJitter(brightness=0.5, contrast=0.5, saturation=0.5, hue=0.1, p=1.0),
        B.BatchGrayscale(p=1.0),
        B.BatchRandomErasing(p=1.0),
        B.BatchMixUp(num_classes=3),
        B.BatchCutMix(num_classes=3),
        B.BatchNormalize(),
    ]
    for op in ops:
        out, _ = op(x, labels, generator=torch.Generator().manual_seed(0))
        assert torch.equal(x, before), type(op).__name__
        assert out.dtype == (torch.float32 if isinstance(op, B.BatchNormalize) else dtype), type(op).__name__


# ----------------------------------------------------------------------------- one registry for both kinds


def test_one_registry_holds_per_sample_and_batched_transforms():
    import vistakit.transforms as T

    sample, batched = T.registered_transforms(), T.registered_transforms("batch")
    assert "HorizontalFlip" in sample and "BatchHorizontalFlip" in batched
    assert not set(sample) & set(batched)
    assert T.registered_transforms(None) == {**sample, **batched}
    assert all(issubclass(c, T.Transform) for c in sample.values())
    assert all(issubclass(c, B.BatchTransform) for c in batched.values())
    assert T.get_transform_class("BatchCutMix", kind="batch") is B.BatchCutMix
    with pytest.raises(ValueError, match="unknown transform 'BatchCutMix'"):
        T.get_transform_class("BatchCutMix")


@pytest.mark.parametrize(
    "name", sorted(__import__("vistakit.transforms", fromlist=["x"]).registered_transforms("batch"))
)
def test_every_batch_op_keeps_the_batch_shape(name):
    """Registry-driven: every batched op built with its defaults maps a batch to a batch of the same shape."""
    import vistakit.transforms as T

    cls = T.get_transform_class(name, kind="batch")
    required = {
        "BatchMixUp": {"num_classes": 3},
        "BatchCutMix": {"num_classes": 3},
        "BatchRandomResizedCrop": {"size": 16},
        "BatchNormalize": {"mean": (0.5, 0.5, 0.5), "std": (0.25, 0.25, 0.25)},
    }
    op = cls(**required.get(name, {}))
    g = torch.Generator().manual_seed(0)
    x = torch.rand(4, 3, 16, 16, generator=g)
    y = torch.tensor([0, 1, 2, 1])
    out, labels = op(x, y, generator=g)
    assert out.shape == x.shape and torch.isfinite(out).all()
    assert labels.shape[0] == 4
