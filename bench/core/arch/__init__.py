"""Architecture definitions that several backends' implementations share: the layer list, block
structure and feature-map sizes of a network, written once so that every backend builds the same
network and names its weights the same way (the canonical layout).

This is the part of the harness that ``impls/`` may import, besides :mod:`bench.core.interface`,
:mod:`bench.rl.agent` and :mod:`bench.core.layout` (the ``impls`` contract in ``.importlinter``). It
depends on nothing else in ``bench`` and on no framework.

* :mod:`bench.core.arch.resnet50`: Keras's ResNet50 without its top (the transfer-learning specs).
* :mod:`bench.core.arch.gap_head`: the 3-conv head of the Cats-vs-Dogs classifier-tail specs.
"""
