"""Clients for the external systems, built from Airflow connections through the provider hooks."""
