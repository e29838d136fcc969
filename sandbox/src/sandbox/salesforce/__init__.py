"""Salesforce's REST API: OAuth, sObjects, SOQL (`soql`, the query engine), Bulk 2.0 queries,
and record ids (`ids`, the one place they are made and checked)."""
