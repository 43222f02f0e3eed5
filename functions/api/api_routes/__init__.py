"""One Router per area; api_handler includes them all."""
