"""Throughput and memory benchmark of tap-myfulfillment and target-quickbooks (``make bench``)."""
