"""In-memory implementations of the repository protocols (`quarterdeck/repositories/`): a dict
per aggregate and plain Python conditions, no interpreter of DynamoDB's expressions. Each one
runs the same contract scenarios as its DynamoDB twin (tests/integration/test_repository_*.py),
so a fake cannot drift from the real thing."""
