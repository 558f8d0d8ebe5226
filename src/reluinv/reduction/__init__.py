"""Stage 2: the MAX-3SAT reduction and its lemmas, made checkable.

* :mod:`~reluinv.reduction.construction`: ``encode`` (formula -> two-layer ReLU inversion
  problem, binary latent or real latent with the binary-forcing gadget), ``decode``
  (latent -> assignment) and ``lift`` (assignment -> latent);
* :mod:`~reluinv.reduction.lemmas`: exact checks of lemmas L1-L4 on given points;
* :mod:`~reluinv.reduction.solution`: what a latent code says about the formula (the decoded
  assignment and the weight it falsifies).
"""

from reluinv.reduction import lemmas
from reluinv.reduction.construction import decode, encode, lift

__all__ = ["decode", "encode", "lemmas", "lift"]
