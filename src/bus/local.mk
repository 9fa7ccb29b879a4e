# src/bus: see the module header for what it promises.
