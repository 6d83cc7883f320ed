/* checkpointer.h - sondeod's checkpoints on a thread of their own. A WAL that has grown to
 * DB_CHECKPOINT_PAGES pages is copied back into the database (a PASSIVE checkpoint: it waits for no reader or
 * writer) by this thread, on its own connection, instead of by the request whose commit filled it: taking in a
 * change set then never waits for the copy and its fsync, and the copy runs beside the next request's work.
 * A checkpoint moves only what is already durable in the WAL, so stopping it, or kill -9, loses nothing. */
#ifndef SONDEO_CHECKPOINTER_H
#define SONDEO_CHECKPOINTER_H

#include <stddef.h>

struct checkpointer;

/* Starts the thread, which from now on checkpoints every store of this process whose WAL fills
 * (db_on_checkpoint), on a connection of its own opened when first needed. NULL with err if it cannot start. */
struct checkpointer *checkpointer_start(char *err, size_t errlen);
/* Hands checkpoints back to the connections that fill the WAL, ends the thread after the checkpoint in
 * progress, and frees c. NULL is fine. */
void checkpointer_stop(struct checkpointer *c);

#endif
