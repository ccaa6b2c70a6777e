"""vistakit: a toolkit for the whole life of a computer-vision model.

Capabilities live in subpackages: :mod:`vistakit.structures` (typed samples),
:mod:`vistakit.data`, :mod:`vistakit.transforms`, :mod:`vistakit.models`
(+ :mod:`vistakit.layers`), :mod:`vistakit.features` (models turned into
features, with one cache), :mod:`vistakit.engine`, :mod:`vistakit.metrics`
(pure array maths) and :mod:`vistakit.cli`.

:func:`share_cpu` (the CPU thread policy: bounded OpenMP spin-waiting, threads from the
CPU available) is here, at the top, because it must run before ``import torch``; this
package imports no torch. :func:`retune_threads` follows the load during training.
"""

from ._threads import ThreadPolicy, retune_threads, share_cpu

__version__ = "0.1.0"

__all__ = ["ThreadPolicy", "retune_threads", "share_cpu"]
