"""Simulated partner agencies sending a realistic stream of referrals."""
