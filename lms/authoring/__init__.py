"""Authoring in the browser: the editors of modules, questions and exams, over the same checks as the files."""
