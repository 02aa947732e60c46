"""Hostile inputs: what attacks and crashes found (issue 12), each pinned by a test."""
