"""Moderation settings: ``PARLEY_MODERATION_*`` environment variables or explicit values.

Kept apart from the server's own settings so ``parley moderation score`` and a separate
worker process read the same knobs without loading the server.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ModerationSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PARLEY_MODERATION_", extra="ignore")

    rules_file: Path | None = None  # user TOML overriding rules/default.toml per key
    model_dir: Path | None = None  # default: the weights shipped with Parley
    model_threads: int = Field(default=1, ge=1, le=64)  # onnxruntime intra-op threads
    # Word pieces the encoder reads (the n-gram features always see the whole text); fewer
    # bound the worst-case latency of long messages at some cost in quality on them.
    model_max_tokens: int = Field(default=128, ge=16, le=256)
    # The cheap n-gram stage decides which texts need the encoder (when the model folder
    # has a cascade.npz); off, every text is embedded. Identical texts are remembered.
    model_cascade: bool = True
    model_cache_size: int = Field(default=4096, ge=0)

    # Bands over the overall score. None for flag means "the model's operating threshold".
    flag_threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    uncertain_ratio: float = Field(default=0.6, gt=0.0, le=1.0)  # uncertain band starts here × flag
    high_threshold: float = Field(default=0.9, ge=0.0, le=1.0)
    remove_threshold: float | None = Field(
        default=None, ge=0.0, le=1.0
    )  # None: model never removes
    hidden_categories: frozenset[str] = frozenset(
        {"hate", "threat", "violence", "sexual", "self_harm", "spam"}
    )  # a flag in these hides the message; in the others it stays visible with a warning

    # Tier 3 (optional): unset base_url and api_key mean "no LLM".
    llm_base_url: str | None = None
    llm_api_key: SecretStr | None = None
    llm_model: str = "omni-moderation-latest"
    llm_mode: Literal["moderation", "chat"] = "moderation"
    llm_timeout_seconds: float = Field(default=3.0, gt=0)
    llm_max_retries: int = Field(default=1, ge=0, le=5)
    llm_failure_threshold: int = Field(
        default=3, ge=1
    )  # consecutive failures that open the breaker
    llm_cooldown_seconds: float = Field(default=30.0, gt=0)  # open → half-open after this
