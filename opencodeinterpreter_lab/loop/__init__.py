"""The OpenCodeInterpreter loop (generate → execute → read → refine) and its policies.

``core.py`` is the loop itself; ``fixer.py`` and ``task.py`` are its two policies (repair a failing cell; carry out a
task cell by cell); ``cells.py`` and ``hints.py`` are what the fixer knows about code and errors; ``kernel_facts.py``
what the kernel says about a failing call; ``trial.py`` tries a fix in a copy of the kernel before it is proposed;
``feedback.py`` makes outputs and tracebacks compact for the model; ``execution.py`` runs code in a kernel;
``notebook.py`` fixes a whole notebook headless.
"""
