"""Shared organizations: the seed's five options as Zendesk settings, the approved requests from
the Support Ops project, the daily audit and the manual apply. The rules: docs/sharing.md.
"""
