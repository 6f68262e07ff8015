"""Where the statutory calendar comes from: a maintained package, loaded into the ledger as data."""
