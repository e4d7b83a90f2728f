# tests/local.mk - test helpers and integration tests
