"""In-memory implementations of the repository protocols (quarterdeck/repositories/): a dict per
aggregate, for the unit tests. Their fidelity is held by the contract tests in tests/integration/
(test_repository_<aggregate>.py), which run the same scenarios against DynamoDB on moto."""
