# unit tests (check library): each module adds its test programs here or in its own local.mk
