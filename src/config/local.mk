# src/config: see the module header for what it promises.
