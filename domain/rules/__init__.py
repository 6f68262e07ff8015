"""Supervision rules (监管规则) and the business calendar they count days in."""
