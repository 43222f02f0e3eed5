"""The local stack behind `make dev` and the tests: moto's server, resources from template.yaml,
demo data, and one web server for the frontend and the API. Never shipped to Lambda."""
