"""Triage: one case per child, the threshold policy, the right queue, exactly once."""
