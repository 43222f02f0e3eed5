"""GET routes whose only input is their path, one Router per area. They have nothing for
pydantic to validate, so api_handler serves them from a resolver without validation and a
cold start serving one never loads pydantic or the request models (docs/decisions.md).
A route that takes a body or a query belongs in api_routes."""
