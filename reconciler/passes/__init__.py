"""One reconcile pass of one flow, effectful: observe (read source, look up target), plan (pure,
``reconciler.plan``), apply (journalled writes), record (state, activity, cursor)."""
