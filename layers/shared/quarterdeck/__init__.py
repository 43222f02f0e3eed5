"""Quarterdeck's shared package: the domain and its adapters, shipped in SharedLayer."""
