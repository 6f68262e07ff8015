"""Analytics queries over the read models (drill-down by region, industry and period)."""
