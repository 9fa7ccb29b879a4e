# src/tankctl: see the module header for what it promises.
