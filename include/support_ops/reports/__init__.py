"""Generated reports (KPI report, integrity summary, Data Docs) and their index page."""
