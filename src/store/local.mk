# src/store: see the module header for what it promises.
