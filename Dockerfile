# The project's images, used by docker-compose.yaml.
#
# airflow (every Airflow service): the official Airflow image of the pinned version
# (requirements.txt: apache-airflow==3.3.2) on Python 3.11, the runtime requirements only
# (requirements.txt, pinned by constraints.txt) and the support_ops package. The sandbox and
# the development and test tools are not in it. DAGs and plugins are mounted by the compose
# file, as in Airflow's own; include/support_ops is mounted over the copy for development.
FROM apache/airflow:3.3.2-python3.11 AS airflow
COPY --chown=airflow:root requirements.txt constraints.txt /opt/project/
RUN pip install --no-cache-dir -r /opt/project/requirements.txt
COPY --chown=airflow:root pyproject.toml README.md /opt/project/
COPY --chown=airflow:root include/support_ops /opt/project/include/support_ops
# The project packages only support_ops; the sandbox is its own package (sandbox/), not copied.
RUN pip install --no-cache-dir --no-deps -e /opt/project

# sandbox (the compose profile `sandbox`): the imitation of Zendesk, Salesforce, PagerDuty,
# GitLab and Slack, with its own server requirements (requirements-sandbox.txt) and nothing
# of Airflow. Its data folder is writable by group 0, so the compose file runs it as
# AIRFLOW_UID:0 and the Airflow services can read the connections file it writes (mode 0600).
FROM python:3.11-slim-bookworm AS sandbox
COPY requirements-sandbox.txt constraints.txt /opt/sandbox/
RUN pip install --no-cache-dir -r /opt/sandbox/requirements-sandbox.txt \
 && useradd --system --uid 50001 --home-dir /sandbox-data sandbox \
 && mkdir /sandbox-data && chown sandbox:0 /sandbox-data && chmod 0770 /sandbox-data
COPY sandbox/src/sandbox /opt/sandbox/sandbox
ENV PYTHONPATH=/opt/sandbox PYTHONUNBUFFERED=1 SANDBOX_DIR=/sandbox-data
USER sandbox
ENTRYPOINT ["python", "-m", "sandbox"]
CMD ["serve"]
