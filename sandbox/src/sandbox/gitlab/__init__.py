"""GitLab's REST API v4 for projects, issues, notes, labels, users and repository files
(`service`), project issue templates (`templates`) and the seed of the product's two projects (`seed`)."""
