"""Moderation decision engine: tier 1 rules, tier 2 local model, tier 3 optional LLM, bands.

The single entry point the worker calls is
:meth:`parley.server.moderation.decision.Moderator.decide`.
Training code (``training.py``, ``evaluation.py``, ``encoder_export.py``) is imported only
by ``parley moderation train|evaluate`` and needs the ``train`` extra.
"""
