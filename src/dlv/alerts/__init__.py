"""Alerts that carry their impact: channels, rules, incidents grouped by root cause, delivery."""
