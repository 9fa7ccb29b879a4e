# src/reconcile: see the module header for what it promises.
