/* sstore-users.c - accounts, web sessions, login delays and the audit log (sstore.h). */
#include "sstore.h"
#include "sstore-int.h"
#include "banned.h"

const char *const sstore_users_sql[SSTORE_USERS_STMTS] = { NULL };
