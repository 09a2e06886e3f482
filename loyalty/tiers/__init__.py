"""Tiers (Cấu hình thăng hạng): the shop's tiers and how they are read (``reads``), placing
members by ranking spend in SQL (``placement``), and changing the tiers with the
recalculation and the yearly review that follow (``changes``)."""

from loyalty.tiers.changes import (
    RECALCULATION_BATCH,
    tier_recalculation_run,
    tier_reviews_start,
    tiers_preview,
    tiers_save,
)
from loyalty.tiers.placement import (
    TIER_REFRESH_CHUNK,
    Placement,
    UpwardPlacement,
    customers_refresh_tiers,
    ranking_since,
    ranking_spend,
)
from loyalty.tiers.reads import DEFAULT_TIERS, TierRow, tier_settings_read, tiers_create_defaults, tiers_read

__all__ = [
    "DEFAULT_TIERS",
    "RECALCULATION_BATCH",
    "TIER_REFRESH_CHUNK",
    "Placement",
    "TierRow",
    "UpwardPlacement",
    "customers_refresh_tiers",
    "ranking_since",
    "ranking_spend",
    "tier_recalculation_run",
    "tier_reviews_start",
    "tier_settings_read",
    "tiers_create_defaults",
    "tiers_preview",
    "tiers_read",
    "tiers_save",
]
