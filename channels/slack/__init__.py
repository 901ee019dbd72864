"""Slack: signed Events API and interactivity, replies in threads, Block Kit buttons."""
