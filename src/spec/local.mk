# src/spec: see the module header for what it promises.
