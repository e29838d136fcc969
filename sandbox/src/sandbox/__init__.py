"""Offline imitation of Zendesk, Salesforce, PagerDuty, GitLab and Slack.

A separate package from `support_ops`: product code never imports it. The real
client libraries talk to it over HTTP(S) on loopback.
"""
