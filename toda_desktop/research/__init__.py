"""研究用データの作成 (issue 13): pseudonymised, k-anonymous extracts for a registered research
project, written as Parquet and CSV with a data dictionary (``service``)."""
