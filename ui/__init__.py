"""The browser chat (Gradio), the HTTP API and the server around ``qa.Engine``.

Wires widgets and routes to the engine and renders what it returns; imports only ``qa``'s
public surface (``qa`` and ``qa.errors``), never faiss or torch.
"""
