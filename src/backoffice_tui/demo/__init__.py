"""Demo data and bulk generators: loading ``sample_data/`` through the real
services, and generating large data sets for benchmarks. Only the command
line and bench/ import this package; services never do."""
