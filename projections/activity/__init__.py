"""Daily activity per enterprise: what it reported on each business day."""
