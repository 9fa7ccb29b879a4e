# src/net: see the module header for what it promises.
