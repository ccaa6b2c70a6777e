"""vistakit: a toolkit for the whole life of a computer-vision model.

Capabilities live in subpackages: :mod:`vistakit.structures` (typed samples),
:mod:`vistakit.data`, :mod:`vistakit.transforms`, :mod:`vistakit.models`
(+ :mod:`vistakit.layers`), :mod:`vistakit.features` (models turned into
features, with one cache), :mod:`vistakit.engine`, :mod:`vistakit.metrics`
(pure array maths) and :mod:`vistakit.cli`.
"""

__version__ = "0.1.0"
