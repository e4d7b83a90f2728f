# policy/local.mk - the policy library (owned by the policy work)
