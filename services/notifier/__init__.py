"""Notifier: tells every referrer how its referral is progressing."""
