"""citeqa for other programs' protocols: an MCP server (``mcp``), a LangChain retriever
(``langchain``) and the readable sources every answer carries through them (``sources``).

Each protocol's package is an extra (``citeqa[mcp]``, ``citeqa[langchain]``): its module is
imported only by the code that uses it.
"""
