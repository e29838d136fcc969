"""Incremental extraction of Zendesk and Salesforce into the warehouse, exactly once."""
