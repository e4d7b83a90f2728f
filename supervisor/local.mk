# supervisor/local.mk - the egress-supervise program
bin_PROGRAMS += egress-supervise
egress_supervise_SOURCES = supervisor/main.c
