"""Excel (.xlsx) exports of the ledger's tables."""
