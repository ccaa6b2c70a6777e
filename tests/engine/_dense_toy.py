"""Generated squares and circles with every target, and tiny dense models of torchvision's conventions.

The images are 32 x 32 RGB noise with one to three objects: squares (class 1) and discs
(class 2) of random colour. Each :class:`Sample` carries the boxes (xyxy pixels), labels,
instance masks, the semantic mask (0 background) and two keypoints per object (its centre
and its box's top-left corner), all computed from the drawn pixels.

:class:`ToyCenterNet` is a few convolutions with CenterNet-style heads (a class heatmap on
an 8 x 8 grid, box sides, keypoint offsets and a foreground mask) that follows the
torchvision detector convention: ``model(images, targets)`` in training mode returns a
loss dict, ``model(images)`` in eval mode one dict per image (``boxes``, ``scores``,
``labels`` and, when asked, ``masks`` / ``keypoints``). :func:`toy_segmenter` maps images to
(N, 3, H, W) logits.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from vistakit.structures import Boxes, Keypoints, Sample

SIZE = 32
STRIDE = 4


def shapes(n: int, *, seed: int = 0, size: int = SIZE) -> list[Sample]:
    """``n`` samples of squares and discs on noise, with boxes, masks, semantic mask and keypoints."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size]
    out = []
    for i in range(n):
        image = rng.integers(0, 60, (size, size, 3)).astype(np.uint8)
        semantic = np.zeros((size, size), np.int64)
        boxes, labels, masks, points = [], [], [], []
        for _ in range(rng.integers(1, 4)):
            cls = int(rng.integers(1, 3))
            r = int(rng.integers(4, 8))
            cx, cy = (int(v) for v in rng.integers(r, size - r, 2))
            m = (np.abs(xx - cx) < r) & (np.abs(yy - cy) < r) if cls == 1 else (xx - cx) ** 2 + (yy - cy) ** 2 < r * r
            m &= semantic == 0  # objects do not overlap: a later one is drawn only where nothing is
            if m.sum() < 12:
                continue
            image[m] = rng.integers(150, 256, 3)
            semantic[m] = cls
            ys, xs = np.nonzero(m)
            box = [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]
            boxes.append(box)
            labels.append(cls)
            masks.append(m)
            points.append([[(box[0] + box[2]) / 2, (box[1] + box[3]) / 2], [box[0], box[1]]])
        k = len(boxes)
        out.append(
            Sample(
                image=torch.from_numpy(image.transpose(2, 0, 1).copy()),
                boxes=Boxes(np.asarray(boxes, np.float64).reshape(k, 4), "xyxy"),
                labels=np.asarray(labels, np.int64),
                masks=np.asarray(masks, np.uint8).reshape(k, size, size),
                mask=semantic,
                keypoints=Keypoints(np.asarray(points, np.float64).reshape(k, 2, 2)),
                meta={"index": i},
            )
        )
    return out


class ToyCenterNet(nn.Module):
    """A tiny anchor-free detector of torchvision's calling convention (see the module notes).

    Args:
        num_classes: object classes, labels 1..num_classes (0 is the background, as in torchvision).
        masks: also predict instance masks (the foreground inside each box).
        keypoints: predict this many keypoints per object (0: none).
        score_thresh: least score of a returned detection.
    """

    def __init__(
        self,
        num_classes: int = 2,
        *,
        masks: bool = False,
        keypoints: int = 0,
        score_thresh: float = 0.05,
        seed: int = 0,
    ) -> None:
        super().__init__()
        torch.manual_seed(seed)
        self.num_classes, self.with_masks, self.num_keypoints = num_classes, masks, keypoints
        self.score_thresh = score_thresh
        self.body = nn.Sequential(
            nn.Conv2d(3, 16, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(16, 32, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(32, 32, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(32, 32, 3, padding=1),
            nn.ReLU(),
        )
        self.heat = nn.Conv2d(32, num_classes, 1)
        nn.init.constant_(self.heat.bias, -2.0)
        self.sides = nn.Conv2d(32, 4, 1)  # distances to the box's left, top, right, bottom (softplus, / 8 px)
        self.points = nn.Conv2d(32, 2 * keypoints, 1) if keypoints else None
        self.fg = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 1, 1)) if masks else None

    def _grid(self, h: int, w: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        ys, xs = torch.meshgrid(torch.arange(h, device=device), torch.arange(w, device=device), indexing="ij")
        return (xs.float() + 0.5) * STRIDE, (ys.float() + 0.5) * STRIDE

    def forward(self, images, targets=None):
        x = torch.stack(list(images)) if isinstance(images, (list, tuple)) else images
        f = self.body(x)
        heat, sides = self.heat(f), F.softplus(self.sides(f)) * 8
        points = self.points(f) * SIZE if self.points is not None else None
        fg = self.fg(x)[:, 0] if self.fg is not None else None
        if self.training:
            return self._losses(heat, sides, points, fg, targets)
        return self._decode(heat, sides, points, fg)

    def _losses(self, heat, sides, points, fg, targets):
        n, _, h, w = heat.shape
        want = torch.zeros_like(heat)
        loss_box = loss_kp = heat.new_zeros(())
        count = 0
        cx_grid, cy_grid = self._grid(h, w, heat.device)
        for b, t in enumerate(targets):
            for k, (box, label) in enumerate(zip(t["boxes"], t["labels"])):
                cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
                i, j = int(cy // STRIDE), int(cx // STRIDE)
                want[b, int(label) - 1, i, j] = 1.0
                px, py = cx_grid[i, j], cy_grid[i, j]
                true_sides = torch.stack([px - box[0], py - box[1], box[2] - px, box[3] - py])
                loss_box = loss_box + F.l1_loss(sides[b, :, i, j], true_sides) / SIZE
                if points is not None:
                    kp = t["keypoints"][k]
                    offsets = torch.stack([kp[:, 0] - px, kp[:, 1] - py], dim=1).reshape(-1)
                    loss_kp = loss_kp + F.l1_loss(points[b, :, i, j], offsets) / SIZE
                count += 1
        losses = {
            "loss_heatmap": F.binary_cross_entropy_with_logits(heat, want, pos_weight=torch.tensor(20.0)),
            "loss_box": loss_box / max(count, 1),
        }
        if points is not None:
            losses["loss_keypoints"] = loss_kp / max(count, 1)
        if fg is not None:
            union = torch.stack(
                [t["masks"].amax(0) if len(t["masks"]) else torch.zeros_like(fg[0]) for t in targets]
            ).float()
            losses["loss_mask"] = F.binary_cross_entropy_with_logits(fg, union)
        return losses

    def _decode(self, heat, sides, points, fg):
        n, c, h, w = heat.shape
        scores = heat.sigmoid()
        peaks = scores * (scores == F.max_pool2d(scores, 3, stride=1, padding=1))
        cx_grid, cy_grid = self._grid(h, w, heat.device)
        out = []
        for b in range(n):
            cls, ii, jj = torch.nonzero(peaks[b] > self.score_thresh, as_tuple=True)
            s = peaks[b, cls, ii, jj]
            px, py = cx_grid[ii, jj], cy_grid[ii, jj]
            d = sides[b, :, ii, jj]
            boxes = torch.stack([px - d[0], py - d[1], px + d[2], py + d[3]], dim=1).clamp(0, SIZE)
            det = {"boxes": boxes, "scores": s, "labels": cls + 1}
            if points is not None:
                off = points[b, :, ii, jj].T.reshape(-1, self.num_keypoints, 2)
                xy = off + torch.stack([px, py], dim=1)[:, None]
                det["keypoints"] = torch.cat([xy, torch.ones_like(xy[..., :1])], dim=-1)
            if fg is not None:
                prob = fg[b].sigmoid()
                yy, xx = torch.meshgrid(
                    torch.arange(SIZE, device=prob.device), torch.arange(SIZE, device=prob.device), indexing="ij"
                )
                inside = (
                    (xx[None] >= boxes[:, 0, None, None])
                    & (xx[None] < boxes[:, 2, None, None])
                    & (yy[None] >= boxes[:, 1, None, None])
                    & (yy[None] < boxes[:, 3, None, None])
                )
                det["masks"] = (prob[None] * inside)[:, None]
            out.append(det)
        return out


def toy_segmenter(num_classes: int = 3, *, seed: int = 0) -> nn.Module:
    """Images -> (N, num_classes, H, W) logits: three small convolutions."""
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(16, 16, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(16, num_classes, 1),
    )
