# src/image: see the module header for what it promises.
