"""No models: the web app holds the admin, the roles and (issue 6) the staff pages."""
