# system tests: run inside the systemd sandbox
