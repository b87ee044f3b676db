"""The Streamlit dashboard (`distsafe dashboard`, the [dashboard] extra) and the `distsafe report` command.

Modules: commands (the two CLI commands), app (the Streamlit script), views (its panels), runs (starting a
run from the UI, checked as `distsafe run` checks it), watch (following a run folder's log as it grows).
The figures and the data behind them live in `distsafe.analysis` (plot_data, figures, html_report).
"""
