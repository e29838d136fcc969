"""Zendesk Support's API v2: tickets, users, organizations, incremental exports, catalogue
(forms, fields, SLAs, views), access and OAuth. `service` mounts the routes."""
