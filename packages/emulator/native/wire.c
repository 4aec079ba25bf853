/* Frames and values of the wire protocol (../PROTOCOL.md), and the per-connection machinery that
 * matches responses to waiting callers: each call waits on its own condition variable, so a GET
 * with wait blocks only its caller while other threads use the same connection. */
#include "mqlib.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- values ---------------------------------------------------------------------------- */

void buf_free(buf_t *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

void buf_raw(buf_t *b, const void *p, size_t n) {
  if (b->failed) return;
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n) cap *= 2;
    unsigned char *d = realloc(b->data, cap);
    if (!d) {
      b->failed = 1;
      return;
    }
    b->data = d;
    b->cap = cap;
  }
  if (n) memcpy(b->data + b->len, p, n);
  b->len += n;
}

/* Integers are little-endian on the wire, as they are in memory here, so they are copied as
 * they are. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the wire protocol is little-endian");
void buf_u8(buf_t *b, uint8_t v) { buf_raw(b, &v, 1); }
void buf_u16(buf_t *b, uint16_t v) { buf_raw(b, &v, 2); }
void buf_u32(buf_t *b, uint32_t v) { buf_raw(b, &v, 4); }
void buf_i32(buf_t *b, int32_t v) { buf_raw(b, &v, 4); }

void buf_bytes(buf_t *b, const void *p, size_t n) {
  buf_u32(b, (uint32_t)n);
  buf_raw(b, p, n);
}

void buf_str(buf_t *b, const char *s, size_t n) { buf_bytes(b, s, n); }

void buf_cstr(buf_t *b, const char *s) { buf_bytes(b, s, s ? strlen(s) : 0); }

size_t fixed_len(const MQCHAR *field, size_t width) {
  size_t n = 0;
  while (n < width && field[n] != '\0') n++;
  while (n > 0 && field[n - 1] == ' ') n--;
  return n;
}

void buf_fixed(buf_t *b, const MQCHAR *field, size_t width) { buf_bytes(b, field, fixed_len(field, width)); }

void fixed_set(MQCHAR *field, size_t width, const void *s, size_t n) {
  if (n > width) n = width;
  if (n) memcpy(field, s, n);
  memset(field + n, ' ', width - n);
}

int has_strucid(const void *struc, const char id[4]) { return memcmp(struc, id, 4) == 0; }

const unsigned char *rd_raw(rd_t *r, size_t n) {
  if (r->bad || (size_t)(r->end - r->p) < n) {
    r->bad = 1;
    return NULL;
  }
  const unsigned char *p = r->p;
  r->p += n;
  return p;
}

int32_t rd_i32(rd_t *r) {
  int32_t v = 0;
  const unsigned char *p = rd_raw(r, 4);
  if (p) memcpy(&v, p, 4);
  return v;
}

const unsigned char *rd_bytes(rd_t *r, size_t *n) {
  uint32_t len = (uint32_t)rd_i32(r);
  const unsigned char *p = rd_raw(r, len);
  *n = p ? len : 0;
  return p ? p : (const unsigned char *)"";
}

/* ---- frames ---------------------------------------------------------------------------- */

/* Offsets in a request being built: u32 length, u8 kind, u32 id, u16 op. */
#define FRAME_ID_AT 5

void req_begin(buf_t *b, uint16_t op) {
  buf_u32(b, 0);
  buf_u8(b, KIND_REQUEST);
  buf_u32(b, 0);
  buf_u16(b, op);
}

static int send_all(int fd, const unsigned char *p, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* The socket is only closed under the write lock (stop_reader), so a frame never goes to a
 * descriptor number that has since been reused. */
static void send_frame(conn_t *c, buf_t *b) {
  uint32_t len = (uint32_t)(b->len - 4);
  memcpy(b->data, &len, 4);
  pthread_mutex_lock(&c->write_lock);
  int r = c->fd < 0 ? -1 : send_all(c->fd, b->data, b->len);
  /* A failed send means the connection is gone: shutting the socket makes the reader thread
   * notice, and it fails every outstanding call with 2009. */
  if (r != 0 && c->fd >= 0) shutdown(c->fd, SHUT_RDWR);
  pthread_mutex_unlock(&c->write_lock);
}

void send_cancel(conn_t *c, uint32_t id) {
  buf_t b = {0};
  buf_u32(&b, 0);
  buf_u8(&b, KIND_CANCEL);
  buf_u32(&b, id);
  if (!b.failed) send_frame(c, &b);
  buf_free(&b);
}

void pending_init(pending_t *p, pthread_cond_t *cond) {
  memset(p, 0, sizeof *p);
  if (cond) {
    p->cond = cond;
  } else {
    pthread_cond_init(&p->own_cond, NULL);
    p->cond = &p->own_cond;
  }
}

void pending_free(pending_t *p) {
  if (p->cond == &p->own_cond) pthread_cond_destroy(&p->own_cond);
  free(p->payload);
  p->payload = NULL;
}

static void fail_pending(pending_t *p, MQLONG rc) {
  p->done = 1;
  p->cc = MQCC_FAILED;
  p->rc = rc;
  pthread_cond_broadcast(p->cond);
}

void send_request_locked(conn_t *c, buf_t *req, pending_t *p) {
  if (req->failed) {
    fail_pending(p, MQRC_STORAGE_NOT_AVAILABLE);
    return;
  }
  if (c->broken) {
    fail_pending(p, MQRC_CONNECTION_BROKEN);
    return;
  }
  p->id = ++c->next_id;
  memcpy(req->data + FRAME_ID_AT, &p->id, 4);
  p->next = c->pendings;
  c->pendings = p;
  pthread_mutex_unlock(&c->mu);
  send_frame(c, req);
  pthread_mutex_lock(&c->mu);
}

void request(conn_t *c, buf_t *req, pending_t *p, PMQLONG cc, PMQLONG rc) {
  pending_init(p, NULL);
  pthread_mutex_lock(&c->mu);
  send_request_locked(c, req, p);
  while (!p->done) pthread_cond_wait(p->cond, &c->mu);
  pthread_mutex_unlock(&c->mu);
  buf_free(req);
  *cc = p->cc;
  *rc = p->rc;
}

rd_t results_of(const pending_t *p) {
  rd_t r = {NULL, NULL, 0};
  if (p->payload) {
    r.p = p->payload + p->results;
    r.end = p->payload + p->payload_len;
  }
  return r;
}

/* ---- the reader thread ----------------------------------------------------------------- */

static int recv_all(int fd, unsigned char *p, size_t n) {
  while (n > 0) {
    ssize_t r = recv(fd, p, n, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    p += r;
    n -= (size_t)r;
  }
  return 0;
}

/* Hands one response to the call waiting for it. Returns -1 for a frame that is not a response:
 * the stream cannot be trusted after it, and whoever waits would wait for ever. */
static int dispatch_response(conn_t *c, unsigned char *payload, size_t n) {
  rd_t r = {payload, payload + n, 0};
  const unsigned char *kind = rd_raw(&r, 1);
  uint32_t id = (uint32_t)rd_i32(&r);
  int32_t cc = rd_i32(&r), rc = rd_i32(&r);
  if (r.bad || *kind != KIND_RESPONSE) {
    free(payload);
    return -1;
  }
  pthread_mutex_lock(&c->mu);
  pending_t **pp = &c->pendings;
  while (*pp && (*pp)->id != id) pp = &(*pp)->next;
  pending_t *p = *pp;
  if (p) {
    *pp = p->next;
    p->payload = payload;
    p->payload_len = n;
    p->results = (size_t)(r.p - payload);
    p->cc = cc;
    p->rc = rc;
    p->done = 1;
    pthread_cond_broadcast(p->cond);
  }
  pthread_mutex_unlock(&c->mu);
  if (!p) free(payload);
  return 0;
}

static void *reader_main(void *arg) {
  conn_t *c = arg;
  for (;;) {
    uint32_t len;
    if (recv_all(c->fd, (unsigned char *)&len, 4) != 0) break;
    unsigned char *payload = malloc(len ? len : 1);
    if (!payload || recv_all(c->fd, payload, len) != 0) {
      free(payload);
      break;
    }
    if (dispatch_response(c, payload, len) != 0) break;
  }
  /* The socket is closed (server gone, or closed by us): every call still waiting, and every
   * later one, fails with 2009. */
  shutdown(c->fd, SHUT_RDWR);
  pthread_mutex_lock(&c->mu);
  c->broken = 1;
  while (c->pendings) {
    pending_t *p = c->pendings;
    c->pendings = p->next;
    fail_pending(p, MQRC_CONNECTION_BROKEN);
  }
  consumers_connection_broken(c);
  pthread_mutex_unlock(&c->mu);
  return NULL;
}

int start_reader(conn_t *c) { return pthread_create(&c->reader, NULL, reader_main, c) == 0 ? 0 : -1; }

void stop_reader(conn_t *c) {
  pthread_mutex_lock(&c->write_lock);
  shutdown(c->fd, SHUT_RDWR);
  pthread_mutex_unlock(&c->write_lock);
  pthread_join(c->reader, NULL);
  pthread_mutex_lock(&c->write_lock);
  close(c->fd);
  c->fd = -1;
  pthread_mutex_unlock(&c->write_lock);
}
