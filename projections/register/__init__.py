"""Enterprise, risk, hazard and inspection registers: current state per aggregate."""
