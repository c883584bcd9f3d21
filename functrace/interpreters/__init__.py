"""Interpreters over jaxprs: eval, jvp (forward mode), vjp (reverse mode), vmap (batching).

Each is the same short loop over equations, applying primitives (or their rules) through
``bind`` so that running an interpreter inside another transformation is itself traced.
"""
