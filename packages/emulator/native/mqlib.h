/* The stand-in MQ client library: what its source files share.
 * The MQI structures and constants come from the cmqc.h/cmqxc.h that the ibmmq package ships
 * (found through CMQC_DIR at build time); the wire protocol is ../PROTOCOL.md. */
#ifndef MQLIB_H
#define MQLIB_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <cmqc.h>
#include <cmqxc.h>

#define MQLIB_EXPORT __attribute__((visibility("default")))

/* The wire format carries an MQMD version 2 byte for byte. */
_Static_assert(sizeof(MQMD) == MQMD_LENGTH_2, "MQMD version 2 layout");

/* ---- wire.c: values and frames ---------------------------------------------------------- */

enum { KIND_REQUEST = 1, KIND_RESPONSE = 2, KIND_CANCEL = 3 };

enum {
  OP_CONNECT = 1, OP_DISCONNECT = 2, OP_OPEN = 3, OP_CLOSE = 4, OP_PUT = 5, OP_PUT1 = 6,
  OP_GET = 7, OP_BEGIN = 8, OP_COMMIT = 9, OP_BACKOUT = 10, OP_SUBSCRIBE = 11,
  OP_INQUIRE = 12, OP_SET = 13, OP_SUBSCRIPTION_REQUEST = 14
};

/* A growing output buffer; `failed` records an allocation failure so callers check once. */
typedef struct {
  unsigned char *data;
  size_t len, cap;
  int failed;
} buf_t;

void buf_free(buf_t *b);
void buf_raw(buf_t *b, const void *p, size_t n);
void buf_u8(buf_t *b, uint8_t v);
void buf_u16(buf_t *b, uint16_t v);
void buf_u32(buf_t *b, uint32_t v);
void buf_i32(buf_t *b, int32_t v);
void buf_bytes(buf_t *b, const void *p, size_t n);
void buf_str(buf_t *b, const char *s, size_t n);
void buf_cstr(buf_t *b, const char *s);
/* An MQCHAR field: up to `width` characters, stopping at a NUL, without trailing blanks. */
void buf_fixed(buf_t *b, const MQCHAR *field, size_t width);

/* A cursor over a received payload; `bad` is set once it runs past the end. */
typedef struct {
  const unsigned char *p, *end;
  int bad;
} rd_t;

int32_t rd_i32(rd_t *r);
/* A `str` or `bytes` value: a pointer into the payload and its length. */
const unsigned char *rd_bytes(rd_t *r, size_t *n);
const unsigned char *rd_raw(rd_t *r, size_t n);

/* Length of an MQCHAR field up to `width`, stopping at a NUL, without trailing blanks. */
size_t fixed_len(const MQCHAR *field, size_t width);
/* Fills an MQCHAR field with `n` bytes of `s`, blank-padded to `width`. */
void fixed_set(MQCHAR *field, size_t width, const void *s, size_t n);
int has_strucid(const void *struc, const char id[4]);

/* ---- connections ----------------------------------------------------------------------- */

/* One request waiting for its response. The reader thread fills it and signals `cond`. */
typedef struct pending {
  uint32_t id;
  int done;
  int32_t cc, rc;
  unsigned char *payload; /* the whole response payload (owned), results start at `results` */
  size_t payload_len, results;
  pthread_cond_t *cond;
  pthread_cond_t own_cond;
  struct pending *next;
} pending_t;

/* What the library remembers about an object handle the server gave out. */
typedef struct objrec {
  MQHOBJ hobj;
  MQCHAR48 qname;    /* resolved queue name, for MQGMO/MQPMO.ResolvedQName */
  MQCHAR48 qmgrname; /* resolved queue manager name */
  struct objrec *next;
} objrec_t;

typedef struct consumer consumer_t;

enum { CTL_STOPPED, CTL_STARTED, CTL_SUSPENDED };

typedef struct conn {
  MQHCONN hconn;
  int fd;
  int refs;     /* guarded by the handle table's lock */
  int detached; /* removed from the handle table by MQDISC */
  MQCHAR48 qmgr;

  pthread_mutex_t write_lock; /* one frame at a time on the socket */
  pthread_mutex_t mu;         /* everything below */
  pthread_t reader;
  pending_t *pendings;
  uint32_t next_id;
  int broken;
  objrec_t *objects;

  /* Asynchronous consumption (consumers.c). */
  consumer_t *consumers;
  consumer_t *event_handler;
  int ctl;                  /* CTL_* */
  int dispatcher_alive;     /* a dispatcher loop runs (its own thread, or START_WAIT's caller) */
  pthread_cond_t cb_cond;   /* consumer state changes and consumer GET completions */
  MQPTR connection_area;    /* MQCTLO.ConnectionArea of START */
  MQLONG pending_event;     /* a connection-wide reason seen on a consumer's GET, to report */
  MQLONG event_reason;      /* the connection-wide reason last reported (0: none) */
  unsigned round;           /* numbers a round of calls to every consumer (START_CALL, events) */
} conn_t;

/* Looks a connection up and holds a reference on it; NULL if unknown. */
conn_t *conn_acquire(MQHCONN hconn);
void conn_retain(conn_t *c);
void conn_release(conn_t *c);

/* Common entry for the verbs: the connection, or NULL with CompCode/Reason set (2018). */
conn_t *verb_begin(MQHCONN hconn, PMQLONG cc, PMQLONG rc);

/* A request: `req_begin` writes the frame header, `request` sends it (and frees it), waits for
 * the answer and sets CompCode/Reason; `p` then holds the results, read with `results_of`, until
 * `pending_free`. */
void req_begin(buf_t *b, uint16_t op);
void pending_init(pending_t *p, pthread_cond_t *cond);
void pending_free(pending_t *p);
void request(conn_t *c, buf_t *req, pending_t *p, PMQLONG cc, PMQLONG rc);
rd_t results_of(const pending_t *p);
/* Sends a request for `p` without waiting (the caller holds c->mu; it is released while sending).
 * If it cannot be sent, `p` is done at once with the reason. */
void send_request_locked(conn_t *c, buf_t *req, pending_t *p);
/* Asks the server to end the waiting GET with this id (the caller does not hold c->mu). */
void send_cancel(conn_t *c, uint32_t id);
int start_reader(conn_t *c);
/* Closes the socket for good and waits for the reader thread. */
void stop_reader(conn_t *c);

objrec_t *objrec_find(conn_t *c, MQHOBJ hobj); /* caller holds c->mu */
void objrec_add(conn_t *c, MQHOBJ hobj, const void *qname, size_t qlen, const void *qmgr, size_t qmlen);

/* ---- objects.c: pieces of MQGET shared with consumers ------------------------------------ */

/* Checks an MQGMO (versions 1-4); returns 0 or a reason. */
MQLONG gmo_check(const MQGMO *gmo);
/* Builds a GET request. `wait` is in milliseconds, -1 unlimited; `buffer_length` -1 for any. */
void get_request(buf_t *b, MQHOBJ hobj, const MQMD *md, const MQGMO *gmo, MQLONG wait, MQLONG buffer_length);
/* The results of a GET: the descriptor, data and (to store in a message handle) properties. */
typedef struct {
  MQMD md;
  MQLONG data_length;
  const unsigned char *data;
  size_t data_n;
  rd_t props;
} get_result_t;
int get_result(const pending_t *p, get_result_t *out);
/* Copies a GET's outputs into the caller's MQGMO (`qname`: the queue's resolved name, or NULL)
 * and message handle; returns a reason or 0. */
MQLONG get_outputs(const MQCHAR *qname, MQGMO *gmo, get_result_t *res, MQLONG returned);

/* Copies an MQMD (version 1 or 2) into a version 2 one; returns 0 or MQRC_MD_ERROR. */
MQLONG md_in(const void *app, MQMD *v2);
/* Copies a version 2 MQMD back into the application's (as far as its version goes). */
void md_out(void *app, const MQMD *v2);

/* ---- properties.c ----------------------------------------------------------------------- */

/* Writes the properties of a message handle (none for MQHM_NONE); returns 0 or 2460. */
MQLONG props_encode(buf_t *b, MQHMSG hmsg);
/* Replaces the properties of a message handle with the wire `props`; returns 0 or 2460. */
MQLONG props_decode(rd_t *props, MQHMSG hmsg);
/* Skips a wire `props` value. */
void props_skip(rd_t *props);
int hmsg_valid(MQHMSG hmsg);
/* Deletes the message handles created on a connection (at MQDISC). */
void hmsg_release_conn(MQHCONN hconn);

/* ---- consumers.c ------------------------------------------------------------------------ */

/* MQCLOSE of an object with a consumer deregisters it first. */
void consumers_object_closed(conn_t *c, MQHOBJ hobj);
/* MQDISC: stops consumption and deregisters every callback. */
void consumers_disconnect(conn_t *c);
/* The reader thread saw the socket close: wake the dispatcher to report it. */
void consumers_connection_broken(conn_t *c);

/* ---- json.c ---------------------------------------------------------------------------- */

enum { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

typedef struct json {
  int type;
  double number;
  char *string;        /* JSON_STRING */
  char *key;           /* the member name, for the children of an object */
  struct json *child;  /* first element or member */
  struct json *next;
} json_t;

json_t *json_parse(const char *text, size_t n);
void json_free(json_t *j);
const json_t *json_get(const json_t *object, const char *key);

#endif
