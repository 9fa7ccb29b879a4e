# src/shim: see the module header for what it promises.
