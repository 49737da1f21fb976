/* The header deadline: a watchdog thread that closes a connection which
 * has waited longer than --header-timeout for a whole request (http.c
 * calls it from MHD's connection notifications). MHD 0.9.75 closes a
 * connection after its idle timeout without a byte, but any byte restarts
 * that clock: a client that sends a header line every few seconds held a
 * connection (its slot, its pool) for as long as it liked. */
#ifndef WATCH_H
#define WATCH_H

struct watch_conn;

/* Starts the watchdog: header_timeout in seconds. 0, or -1 (logged). */
int watch_start(double header_timeout);
/* Stops it (joins the thread). Safe when not started. */
void watch_stop(void);

/* A connection accepted on socket fd: listed, ready for a request (its
 * deadline runs from now). The caller keeps the entry until
 * watch_remove(), which it must call before the socket is closed. */
struct watch_conn *watch_add(int fd);
void watch_remove(struct watch_conn *w);
/* Its request is being answered (out of the deadline), or it is ready for
 * the next one (the deadline runs from now). Lock-free. */
void watch_busy(struct watch_conn *w);
void watch_ready(struct watch_conn *w);

/* Connections closed at the header deadline since the start. */
unsigned long watch_cut_count(void);

#endif
