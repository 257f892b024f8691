"""Gradio chat and HTTP API wiring around ``qa.Engine``."""
