"""``parity check``: a learner's own network, as they wrote it, checked against the reference.

    source    reading the learner's file (script, exported notebook, notebook) for its definitions only
    styles    the ways learners write a network (the course's APIs, separate arrays, this project's module)
    mistakes  the catalogue of classic mistakes and their fingerprints
    checker   running the learner's functions step- and stage-locally, and judging each quantity
    render    the verdict as text, Markdown, HTML (Jupyter) and JSON
"""
