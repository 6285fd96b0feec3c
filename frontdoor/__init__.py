"""The ``frontdoor`` command and what only it drives.

The local broker, access provisioning, the benchmarks, the simulated partners, the deployment
generators and offline replay. Services never import this package.
"""
