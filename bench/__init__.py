"""WaddleBot benchmarks: echo baselines and the router pipelines, run as `python -m bench`."""
