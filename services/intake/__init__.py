"""Intake: validates every partner's referrals and forwards the good ones to triage."""
