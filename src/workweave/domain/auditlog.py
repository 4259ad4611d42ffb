"""Audit-log vocabulary: the activity classes of logged events and their default domains."""

from __future__ import annotations

ACTIVITY_CLASSES: tuple[str, ...] = (
    "documentation",
    "orders",
    "inbox",
    "chart_review",
    "scheduling",
    "other",
)
"""Documentation; orders; inbox and messages; chart review; scheduling and list management;
other."""

DEFAULT_CLASS_DOMAINS: dict[str, str] = {
    "documentation": "clinical",
    "orders": "clinical",
    "inbox": "clinical",
    "chart_review": "clinical",
    "scheduling": "managerial",
    "other": "other",
}
"""The domain of each class unless a mapping file says otherwise."""

__all__ = ["ACTIVITY_CLASSES", "DEFAULT_CLASS_DOMAINS"]
