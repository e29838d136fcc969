"""Support Ops Pipelines: the domain package behind the Airflow DAGs.

Importable and testable without a running Airflow: DAG files only wire these
functions together. Sub-packages by capability (warehouse, clients, extract, ...).
"""

__version__ = "0.1.0"
