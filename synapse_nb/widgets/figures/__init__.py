"""Plotly figure builders (placeholder until the figures module lands)."""
