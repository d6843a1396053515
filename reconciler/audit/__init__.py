"""Audit through git: what changed in the specs, when, and by whose commit.

The package keeps the pure/effectful seam of the rest of the engine visible:

    semantic.py   pure: two snapshots of a spec repository -> the semantic diff, per document
                  and field path, computed on the loaded models (never on the text)
    model.py      pure: the results as data (compared revisions, comparisons, history entries)
    render.py     pure: a diff or a history as text, markdown (pull-request comments) or JSON
    revisions.py  effectful: open a local or remote repository, resolve revisions, load the
                  specs of a commit straight from its git blobs (or of the working tree)
    history.py    effectful: walk the commits that touch the spec path, diff each with its parent

Only ``revisions.py`` and ``history.py`` import GitPython; import-linter holds that line.
"""
