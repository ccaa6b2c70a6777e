"""The small interface every vistakit classifier shares."""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import torch
from torch import nn


class ImageClassifier(nn.Module):
    """Base class of every classifier in the zoo.

    Subclasses set ``classifier_name`` (dotted path of the final ``nn.Linear``),
    ``first_conv`` (dotted path of the first convolution), ``num_classes``,
    ``num_features`` (width of the pre-logits vector) and ``feature_info``, and
    implement :meth:`forward_features`, :meth:`forward_head` and
    :meth:`group_matcher`. The base class adds nothing to the ``state_dict``.

    Architectures with auxiliary classifiers (Inception's ``aux1``/``aux2`` and
    ``AuxLogits``) list them in ``aux_heads`` as ``{module path: path of its final
    nn.Linear}``, whether or not an instance was built with them: the published
    checkpoints carry them, so loading one into a model built without them drops
    exactly those modules' keys (any other unknown key is still an error), and a
    model built with them gets fresh aux classifiers for another class count, as
    for the main classifier. Such models also reset their aux classifiers in
    :meth:`reset_classifier`.
    """

    classifier_name: str = "fc"
    first_conv: str = "conv1"
    aux_heads: Mapping[str, str] = MappingProxyType({})
    num_classes: int
    num_features: int
    feature_info: list[dict[str, Any]]

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) images -> unpooled features (N, C', H', W') (or (N, H', W', C') for Swin)."""
        raise NotImplementedError

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        """Features -> (N, num_classes) logits, or (N, num_features) when ``pre_logits``."""
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) -> (N, num_classes) logits."""
        return self.forward_head(self.forward_features(x))

    def group_matcher(self) -> dict[str, Any]:
        """Regexes over parameter names: ``{"stem": str, "blocks": [str, ...], "head": str}``.

        ``blocks`` lists one regex per stage, from the input to the output. Every
        parameter matches exactly one group; transfer learning freezes and sets
        layer-wise learning rates by these groups.
        """
        raise NotImplementedError

    def get_classifier(self) -> nn.Module:
        """The final linear layer (``nn.Identity`` after ``reset_classifier(0)``)."""
        return self.get_submodule(self.classifier_name)

    def reset_classifier(self, num_classes: int) -> None:
        """Replace the final layer by a new one for ``num_classes`` (0: no classifier, pre-logits out)."""
        old = self.get_classifier()
        in_features = self.num_features if not isinstance(old, nn.Linear) else old.in_features
        new: nn.Module = nn.Linear(in_features, num_classes) if num_classes > 0 else nn.Identity()
        if isinstance(old, nn.Linear) and num_classes > 0:
            new = new.to(device=old.weight.device, dtype=old.weight.dtype)
        parent_name, _, child = self.classifier_name.rpartition(".")
        parent = self.get_submodule(parent_name) if parent_name else self
        setattr(parent, child, new)
        self.num_classes = num_classes


def parameter_groups(model: ImageClassifier) -> list[tuple[str, list[tuple[str, nn.Parameter]]]]:
    """Split a model's parameters by its :meth:`~ImageClassifier.group_matcher`.

    Returns:
        ``[("stem", [...]), ("stage0", [...]), ..., ("head", [...])]`` in input-to-output
        order, each a list of ``(name, parameter)``.

    Raises:
        ValueError: when a parameter matches no group or several.
    """
    matcher = model.group_matcher()
    groups = [("stem", matcher["stem"])]
    groups += [(f"stage{i}", rx) for i, rx in enumerate(matcher["blocks"])]
    groups.append(("head", matcher["head"]))
    compiled = [(name, re.compile(rx)) for name, rx in groups]
    out: dict[str, list] = {name: [] for name, _ in groups}
    for pname, p in model.named_parameters():
        hits = [name for name, rx in compiled if rx.match(pname)]
        if len(hits) != 1:
            raise ValueError(
                f"{type(model).__name__}: parameter {pname!r} matches {hits or 'no group'}; "
                "group_matcher() must assign every parameter to exactly one group"
            )
        out[hits[0]].append((pname, p))
    return [(name, out[name]) for name, _ in groups]
