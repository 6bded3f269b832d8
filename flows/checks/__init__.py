"""Checks that turn raw user tables into a typed case, recording a finding for every problem.

One module per concern: :mod:`~flows.checks.case` runs the checks in order and assembles the
case; :mod:`~flows.checks.checker` holds the raw table and the generic column checks;
:mod:`~flows.checks.sites`, :mod:`~flows.checks.parks`, :mod:`~flows.checks.flow_table`,
:mod:`~flows.checks.exchanges` and :mod:`~flows.checks.metadata` check one table each, with
:mod:`~flows.checks.geometry`, :mod:`~flows.checks.resource_column`,
:mod:`~flows.checks.quantities` and :mod:`~flows.checks.references` for what several tables share.
"""
