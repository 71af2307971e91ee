"""What a run tells its user: per-rank log lines, MLflow metrics from rank 0, throughput, the end of
the run in one order, its FINAL line, and the doctor's health lines."""
