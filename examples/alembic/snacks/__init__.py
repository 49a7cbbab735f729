"""The snacks example: one model that gets renamed, Marathon → Snickers."""
