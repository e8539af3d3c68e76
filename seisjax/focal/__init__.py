"""Focal mechanisms from first-motion polarities, as HASH does them.

Ross, Meier & Hauksson (2018) end their pipeline with HASH (Hardebeck &
Shearer 2002): the CNN's first motions give focal mechanisms. This package
does that stage as array code: every trial mechanism of every event of a
batch scored at once with jit/vmap, in memory-bounded chunks.

types.py is the shared data model (observations in, solutions out);
readers and takeoff tables make observations, the inversion makes
solutions. It may import seisjax.picking and seisjax.seismo; nothing imports
it but its own command and its tests.
"""
