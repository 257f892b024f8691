"""What analysts use beyond a single answer: follow-up questions (``conversation``), the
documents a question names (``naming``), one answer per document (``compare``), a cited page
whole (``pages``), the landing figures and suggested questions (``overview``,
``suggestions``) and readers' verdicts (``feedback``).

The engine dispatches to these modules; they may import the ground floor (``qa.types``,
``qa.settings``, ``qa.errors``, ``qa.text``), ``qa.answer`` and the index's read interface
(``qa.index.base``, for types), never the engine at run time, ``qa.cli``,
``qa.integrations`` or ``ui``. Nothing is imported here, so that one feature does not load
the others.
"""
