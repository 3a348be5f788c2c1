"""Operator commands for connect-omni: the ``connect-omni`` console script (``connect-omni doctor``).

Installed with the project (``pip install -e .``) but outside the Lambda ``CodeUri`` (``src/``): nothing here is
shipped to Lambda. It reuses the runtime's adapters (:mod:`connect_omni.salesforce`, :mod:`connect_omni.settings`)
so that it talks to Salesforce exactly as the functions do.
"""
