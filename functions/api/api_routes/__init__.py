"""The routes that take a body or a query, one Router per area, on api_handler's validated
resolver (Powertools validation with pydantic). GET routes whose only input is their path
live in api_reads."""
