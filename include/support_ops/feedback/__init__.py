"""Feedback issues: a GitLab issue per negative rating (and per good rating with a comment),
routed by reason and assigned to the SSAT reviewing manager on call, plus the monthly feedback
export. Rules (rules.py), issues (issues.py), export (export.py), report (report.py); the
rules in words: docs/feedback-issues.md.
"""
