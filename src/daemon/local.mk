# src/daemon: see the module header for what it promises.
