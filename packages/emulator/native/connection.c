/* MQCONN, MQCONNX and MQDISC: finding the server as the MQ client does (MQCD, MQSERVER, JSON
 * CCDT; MQ-BEHAVIOUR §1) and the process-wide table of connection handles. */
#include "mqlib.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ---- the handle table ------------------------------------------------------------------ */

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static conn_t **table;
static size_t table_n, table_cap;
static MQHCONN last_hconn;

static void conn_destroy(conn_t *c) {
  while (c->objects) {
    objrec_t *o = c->objects;
    c->objects = o->next;
    free(o);
  }
  pthread_mutex_destroy(&c->write_lock);
  pthread_mutex_destroy(&c->mu);
  pthread_cond_destroy(&c->cb_cond);
  free(c);
}

conn_t *conn_acquire(MQHCONN hconn) {
  conn_t *found = NULL;
  pthread_mutex_lock(&table_lock);
  for (size_t i = 0; i < table_n; i++) {
    if (table[i]->hconn == hconn) {
      found = table[i];
      found->refs++;
      break;
    }
  }
  pthread_mutex_unlock(&table_lock);
  return found;
}

void conn_retain(conn_t *c) {
  pthread_mutex_lock(&table_lock);
  c->refs++;
  pthread_mutex_unlock(&table_lock);
}

void conn_release(conn_t *c) {
  pthread_mutex_lock(&table_lock);
  int last = --c->refs == 0;
  pthread_mutex_unlock(&table_lock);
  if (last) conn_destroy(c);
}

/* Adds a connection with the table's own reference; returns its handle, or 0 without memory. */
static MQHCONN table_add(conn_t *c) {
  MQHCONN h = 0;
  pthread_mutex_lock(&table_lock);
  if (table_n == table_cap) {
    size_t cap = table_cap ? table_cap * 2 : 16;
    conn_t **t = realloc(table, cap * sizeof *t);
    if (t) {
      table = t;
      table_cap = cap;
    }
  }
  if (table_n < table_cap) {
    /* Handles are not reused soon, and never 0 (MQHC_DEF_HCONN) or negative (unusable). */
    if (++last_hconn <= 0) last_hconn = 1;
    h = c->hconn = last_hconn;
    c->refs = 1;
    table[table_n++] = c;
  }
  pthread_mutex_unlock(&table_lock);
  return h;
}

/* Removes a connection from the table; later lookups give 2018. Returns 0 if another thread
 * removed it first. */
static int table_remove(conn_t *c) {
  int removed = 0;
  pthread_mutex_lock(&table_lock);
  for (size_t i = 0; i < table_n; i++) {
    if (table[i] == c) {
      table[i] = table[--table_n];
      c->detached = 1;
      removed = 1;
      break;
    }
  }
  pthread_mutex_unlock(&table_lock);
  return removed;
}

conn_t *verb_begin(MQHCONN hconn, PMQLONG cc, PMQLONG rc) {
  conn_t *c = conn_acquire(hconn);
  *cc = c ? MQCC_OK : MQCC_FAILED;
  *rc = c ? MQRC_NONE : MQRC_HCONN_ERROR;
  return c;
}

static conn_t *conn_new(int fd) {
  conn_t *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  c->fd = fd;
  pthread_mutex_init(&c->write_lock, NULL);
  pthread_mutex_init(&c->mu, NULL);
  /* Consumers that retry later wait on it with a deadline that must not jump with the clock. */
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&c->cb_cond, &attr);
  pthread_condattr_destroy(&attr);
  c->ctl = CTL_STOPPED;
  return c;
}

objrec_t *objrec_find(conn_t *c, MQHOBJ hobj) {
  objrec_t *o = c->objects;
  while (o && o->hobj != hobj) o = o->next;
  return o;
}

void objrec_add(conn_t *c, MQHOBJ hobj, const void *qname, size_t qlen, const void *qmgr, size_t qmlen) {
  objrec_t *o = calloc(1, sizeof *o);
  if (!o) return;
  o->hobj = hobj;
  fixed_set(o->qname, sizeof o->qname, qname, qlen);
  fixed_set(o->qmgrname, sizeof o->qmgrname, qmgr, qmlen);
  pthread_mutex_lock(&c->mu);
  o->next = c->objects;
  c->objects = o;
  pthread_mutex_unlock(&c->mu);
}

/* ---- where to connect ------------------------------------------------------------------ */

typedef struct {
  char channel[MQ_CHANNEL_NAME_LENGTH + 1];
  char host[MQ_CONN_NAME_LENGTH + 1];
  char port[16];
} target_t;

typedef struct {
  target_t *v;
  size_t n, cap;
} targets_t;

static void targets_add(targets_t *t, const char *channel, size_t channel_n, const char *host, size_t host_n,
                        long port) {
  if (t->n == t->cap) {
    size_t cap = t->cap ? t->cap * 2 : 8;
    target_t *v = realloc(t->v, cap * sizeof *v);
    if (!v) return;
    t->v = v;
    t->cap = cap;
  }
  target_t *e = &t->v[t->n++];
  if (channel_n > MQ_CHANNEL_NAME_LENGTH) channel_n = MQ_CHANNEL_NAME_LENGTH;
  if (host_n > MQ_CONN_NAME_LENGTH) host_n = MQ_CONN_NAME_LENGTH;
  memcpy(e->channel, channel, channel_n);
  e->channel[channel_n] = '\0';
  memcpy(e->host, host, host_n);
  e->host[host_n] = '\0';
  snprintf(e->port, sizeof e->port, "%ld", port);
}

static const char *skip_blanks(const char *p, const char *end) {
  while (p < end && (*p == ' ' || *p == '\t')) p++;
  return p;
}

/* A connection name: `host(port)` or a comma-separated list of them; the port defaults to 1414. */
static void add_connection_names(targets_t *t, const char *channel, size_t channel_n, const char *s, size_t n) {
  const char *end = s + n;
  while (s < end) {
    const char *comma = memchr(s, ',', (size_t)(end - s));
    const char *item_end = comma ? comma : end;
    const char *p = skip_blanks(s, item_end);
    const char *q = item_end;
    while (q > p && (q[-1] == ' ' || q[-1] == '\t')) q--;
    if (q > p) {
      long port = 1414;
      const char *host_end = q;
      if (q[-1] == ')') {
        const char *open = q - 1;
        while (open > p && *open != '(') open--;
        if (*open == '(') {
          port = strtol(open + 1, NULL, 10);
          host_end = open;
        }
      }
      while (host_end > p && host_end[-1] == ' ') host_end--;
      targets_add(t, channel, channel_n, p, (size_t)(host_end - p), port);
    }
    s = comma ? comma + 1 : end;
  }
}

/* MQSERVER=CHANNEL/TCP/connection-names; anything else is 2058 as for MQ. */
static MQLONG targets_from_mqserver(targets_t *t, const char *v) {
  const char *slash1 = strchr(v, '/');
  const char *slash2 = slash1 ? strchr(slash1 + 1, '/') : NULL;
  if (!slash2) return MQRC_Q_MGR_NAME_ERROR;
  const char *transport = skip_blanks(slash1 + 1, slash2);
  size_t tn = (size_t)(slash2 - transport);
  while (tn > 0 && transport[tn - 1] == ' ') tn--;
  if (tn != 3 || strncasecmp(transport, "TCP", 3) != 0) return MQRC_Q_MGR_NAME_ERROR;
  size_t channel_n = (size_t)(slash1 - v);
  while (channel_n > 0 && v[channel_n - 1] == ' ') channel_n--;
  add_connection_names(t, v, channel_n, slash2 + 1, strlen(slash2 + 1));
  return t->n ? MQRC_NONE : MQRC_Q_MGR_NAME_ERROR;
}

static char *read_file(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  char *data = NULL;
  size_t len = 0, cap = 0;
  for (;;) {
    if (len == cap) {
      cap = cap ? cap * 2 : 4096;
      char *d = realloc(data, cap);
      if (!d) {
        free(data);
        fclose(f);
        return NULL;
      }
      data = d;
    }
    size_t r = fread(data + len, 1, cap - len, f);
    if (r == 0) break;
    len += r;
  }
  fclose(f);
  *n = len;
  return data;
}

typedef struct {
  const json_t *entry;
  const char *name;
  double weight;
} ccdt_pick_t;

static int zero_weight_first(const void *a, const void *b) {
  const ccdt_pick_t *x = a, *y = b;
  if ((x->weight == 0) != (y->weight == 0)) return x->weight == 0 ? -1 : 1;
  return x->weight == 0 ? strcmp(x->name, y->name) : 0;
}

/* The order MQ tries CCDT entries in (MQ-BEHAVIOUR §1.4): clientWeight 0 first, alphabetically
 * by channel; then the others, each next one drawn at random in proportion to its weight. */
static void order_picks(ccdt_pick_t *p, size_t n) {
  qsort(p, n, sizeof *p, zero_weight_first);
  size_t i = 0;
  while (i < n && p[i].weight == 0) i++;
  for (; i < n; i++) {
    double total = 0;
    for (size_t j = i; j < n; j++) total += p[j].weight;
    double r = (double)rand() / ((double)RAND_MAX + 1) * total;
    size_t j = i;
    while (j + 1 < n && r >= p[j].weight) r -= p[j++].weight;
    ccdt_pick_t chosen = p[j];
    p[j] = p[i];
    p[i] = chosen;
  }
}

static const char *json_string_or(const json_t *j, const char *fallback) {
  return j && j->type == JSON_STRING ? j->string : fallback;
}

/* A JSON CCDT (`file:///path` or a path): the client-connection channels whose queueManager is
 * the requested name without a leading `*`. */
static MQLONG targets_from_ccdt(targets_t *t, const char *url, size_t url_n, const char *qmgr, size_t qmgr_n) {
  char path[4096];
  if (url_n >= 7 && strncasecmp(url, "file://", 7) == 0) {
    url += 7;
    url_n -= 7;
  } else if (memchr(url, ':', url_n) && url[0] != '/' && url[0] != '.') {
    return MQRC_CCDT_URL_ERROR; /* ftp://, http://...: not served here */
  }
  if (url_n == 0 || url_n >= sizeof path) return MQRC_CCDT_URL_ERROR;
  memcpy(path, url, url_n);
  path[url_n] = '\0';

  size_t n;
  char *text = read_file(path, &n);
  if (!text) return MQRC_CCDT_URL_ERROR;
  json_t *root = json_parse(text, n);
  free(text);
  const json_t *channels = json_get(root, "channel");
  if (!channels || channels->type != JSON_ARRAY) {
    json_free(root);
    return MQRC_CCDT_URL_ERROR;
  }

  if (qmgr_n > 0 && qmgr[0] == '*') {
    qmgr++;
    qmgr_n--;
  }
  size_t count = 0;
  for (const json_t *e = channels->child; e; e = e->next) count++;
  ccdt_pick_t *picks = calloc(count ? count : 1, sizeof *picks);
  size_t k = 0;
  for (const json_t *e = channels->child; picks && e; e = e->next) {
    if (strcmp(json_string_or(json_get(e, "type"), ""), "clientConnection") != 0) continue;
    const char *qm = json_string_or(json_get(json_get(e, "clientConnection"), "queueManager"), "");
    size_t qm_n = strlen(qm);
    while (qm_n > 0 && qm[qm_n - 1] == ' ') qm_n--;
    if (qm_n != qmgr_n || memcmp(qm, qmgr, qm_n) != 0) continue;
    const json_t *w = json_get(json_get(e, "connectionManagement"), "clientWeight");
    picks[k].entry = e;
    picks[k].name = json_string_or(json_get(e, "name"), "");
    picks[k].weight = w && w->type == JSON_NUMBER && w->number > 0 ? w->number : 0;
    k++;
  }
  if (picks) order_picks(picks, k);
  for (size_t i = 0; i < k; i++) {
    const char *name = picks[i].name;
    const json_t *conns = json_get(json_get(picks[i].entry, "clientConnection"), "connection");
    for (const json_t *cn = conns && conns->type == JSON_ARRAY ? conns->child : NULL; cn; cn = cn->next) {
      const char *host = json_string_or(json_get(cn, "host"), NULL);
      const json_t *port = json_get(cn, "port");
      long number = port && port->type == JSON_NUMBER ? (long)port->number : 1414;
      if (host) targets_add(t, name, strlen(name), host, strlen(host), number);
    }
  }
  free(picks);
  json_free(root);
  return t->n ? MQRC_NONE : MQRC_Q_MGR_NAME_ERROR;
}

/* A string given by pointer or by offset from the start of its structure. */
static const char *ptr_or_offset(const void *base, const void *ptr, MQLONG offset) {
  if (ptr) return ptr;
  return offset ? (const char *)base + offset : NULL;
}

/* ---- TCP ------------------------------------------------------------------------------- */

static int tcp_connect(const target_t *t) {
  struct addrinfo hints = {0}, *res = NULL;
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  if (getaddrinfo(t->host, t->port, &hints, &res) != 0) return -1;
  int fd = -1;
  for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    int r;
    do r = connect(fd, a->ai_addr, a->ai_addrlen);
    while (r != 0 && errno == EINTR);
    if (r != 0) {
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(res);
  if (fd >= 0) {
    int one = 1;
    /* Each MQI call is a small request waiting for its answer: never hold it back (Nagle). */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
  }
  return fd;
}

/* Reasons that mean "this endpoint cannot serve us now": the next one is tried. */
static int is_connection_class(MQLONG rc) {
  return rc == MQRC_Q_MGR_NOT_AVAILABLE || rc == MQRC_HOST_NOT_AVAILABLE || rc == MQRC_STANDBY_Q_MGR ||
         rc == MQRC_Q_MGR_QUIESCING || rc == MQRC_Q_MGR_STOPPING;
}

typedef struct {
  const MQCHAR *qmgr;
  size_t qmgr_n;
  const char *user, *password;
  size_t user_n, password_n;
  const char *appl;
  size_t appl_n;
  MQLONG options;
} connect_args_t;

/* One attempt on one endpoint: the connection (not yet in the handle table), or NULL with the
 * reason. */
static conn_t *try_target(const target_t *t, const connect_args_t *a, MQLONG *cc, MQLONG *rc) {
  int fd = tcp_connect(t);
  if (fd < 0) {
    *cc = MQCC_FAILED;
    *rc = MQRC_HOST_NOT_AVAILABLE;
    return NULL;
  }
  conn_t *c = conn_new(fd);
  if (!c || start_reader(c) != 0) {
    if (c) conn_destroy(c);
    close(fd);
    *cc = MQCC_FAILED;
    *rc = MQRC_RESOURCE_PROBLEM;
    return NULL;
  }
  char endpoint[sizeof t->host + sizeof t->port + 2];
  snprintf(endpoint, sizeof endpoint, "%s(%s)", t->host, t->port);
  buf_t b = {0};
  req_begin(&b, OP_CONNECT);
  buf_str(&b, a->qmgr, a->qmgr_n);
  buf_cstr(&b, t->channel);
  buf_cstr(&b, endpoint);
  buf_str(&b, a->user, a->user_n);
  buf_str(&b, a->password, a->password_n);
  buf_str(&b, a->appl, a->appl_n);
  buf_i32(&b, a->options);
  pending_t p;
  request(c, &b, &p, cc, rc);
  if (p.cc != MQCC_FAILED) {
    rd_t r = results_of(&p);
    size_t n;
    const unsigned char *name = rd_bytes(&r, &n);
    fixed_set(c->qmgr, sizeof c->qmgr, name, n);
  }
  pending_free(&p);
  if (*cc == MQCC_FAILED) {
    stop_reader(c);
    conn_destroy(c);
    return NULL;
  }
  return c;
}

/* The application name MQ uses when MQCNO gives none: the program's. */
static const char *program_name(size_t *n) {
  const char *s = program_invocation_short_name;
  *n = strlen(s);
  if (*n > MQ_APPL_NAME_LENGTH) *n = MQ_APPL_NAME_LENGTH;
  return s;
}

MQLIB_EXPORT void MQCONNX(PMQCHAR pQMgrName, PMQCNO pCno, PMQHCONN pHconn, PMQLONG pCompCode, PMQLONG pReason) {
  *pCompCode = MQCC_FAILED;
  if (pHconn) *pHconn = MQHC_UNUSABLE_HCONN;
  if (!pHconn) {
    *pReason = MQRC_HCONN_ERROR;
    return;
  }
  if (pCno &&
      (!has_strucid(pCno, MQCNO_STRUC_ID) || pCno->Version < MQCNO_VERSION_1 || pCno->Version > MQCNO_VERSION_8)) {
    *pReason = MQRC_CNO_ERROR;
    return;
  }
  MQLONG version = pCno ? pCno->Version : 0;

  connect_args_t a = {0};
  static const MQCHAR blank[1] = {' '};
  a.qmgr = pQMgrName ? pQMgrName : blank;
  a.qmgr_n = pQMgrName ? fixed_len(pQMgrName, MQ_Q_MGR_NAME_LENGTH) : 0;
  a.options = pCno ? pCno->Options : MQCNO_NONE;

  if (version >= MQCNO_VERSION_5) {
    const MQCSP *csp = (const MQCSP *)ptr_or_offset(pCno, pCno->SecurityParmsPtr, pCno->SecurityParmsOffset);
    if (csp && !has_strucid(csp, MQCSP_STRUC_ID)) {
      *pReason = MQRC_CSP_ERROR;
      return;
    }
    if (csp && csp->AuthenticationType == MQCSP_AUTH_USER_ID_AND_PWD) {
      a.user = ptr_or_offset(csp, csp->CSPUserIdPtr, csp->CSPUserIdOffset);
      a.user_n = a.user ? (size_t)csp->CSPUserIdLength : 0;
      a.password = ptr_or_offset(csp, csp->CSPPasswordPtr, csp->CSPPasswordOffset);
      a.password_n = a.password ? (size_t)csp->CSPPasswordLength : 0;
    }
  }
  if (version >= MQCNO_VERSION_7) {
    a.appl = pCno->ApplName;
    a.appl_n = fixed_len(pCno->ApplName, MQ_APPL_NAME_LENGTH);
  }
  if (a.appl_n == 0) a.appl = program_name(&a.appl_n);

  /* The channel definition, in MQ's order (MQ-BEHAVIOUR §1.1). */
  targets_t t = {0};
  MQLONG found = MQRC_Q_MGR_NAME_ERROR;
  const MQCD *cd =
      version >= MQCNO_VERSION_2 ? (const MQCD *)ptr_or_offset(pCno, pCno->ClientConnPtr, pCno->ClientConnOffset) : NULL;
  const char *ccdt = version >= MQCNO_VERSION_6 ? ptr_or_offset(pCno, pCno->CCDTUrlPtr, pCno->CCDTUrlOffset) : NULL;
  const char *mqserver = getenv("MQSERVER");
  const char *ccdt_env = getenv("MQCCDTURL");
  if (cd) {
    if (cd->Version < MQCD_VERSION_1 || cd->Version > MQCD_CURRENT_VERSION) {
      *pReason = MQRC_CD_ERROR;
      return;
    }
    const MQCHAR *names = cd->Version >= MQCD_VERSION_2 ? cd->ConnectionName : cd->ShortConnectionName;
    size_t names_n = fixed_len(names, cd->Version >= MQCD_VERSION_2 ? MQ_CONN_NAME_LENGTH : MQ_SHORT_CONN_NAME_LENGTH);
    add_connection_names(&t, cd->ChannelName, fixed_len(cd->ChannelName, MQ_CHANNEL_NAME_LENGTH), names, names_n);
    found = t.n ? MQRC_NONE : MQRC_CD_ERROR;
  } else if (ccdt && pCno->CCDTUrlLength > 0) {
    found = targets_from_ccdt(&t, ccdt, (size_t)pCno->CCDTUrlLength, a.qmgr, a.qmgr_n);
  } else if (mqserver && *mqserver) {
    found = targets_from_mqserver(&t, mqserver);
  } else if (ccdt_env && *ccdt_env) {
    found = targets_from_ccdt(&t, ccdt_env, strlen(ccdt_env), a.qmgr, a.qmgr_n);
  }
  if (found != MQRC_NONE) {
    free(t.v);
    *pReason = found;
    return;
  }

  /* Endpoints in order: an unreachable one, or one whose queue manager cannot serve now, is
   * skipped; any other refusal (credentials, name, channel) ends the attempt. */
  conn_t *c = NULL;
  MQLONG cc = MQCC_FAILED, rc = MQRC_HOST_NOT_AVAILABLE, last_server = 0;
  for (size_t i = 0; i < t.n && !c; i++) {
    c = try_target(&t.v[i], &a, &cc, &rc);
    if (c || !is_connection_class(rc)) break;
    if (rc != MQRC_HOST_NOT_AVAILABLE) last_server = rc;
  }
  free(t.v);
  if (!c) {
    *pReason = is_connection_class(rc) && last_server ? last_server : rc;
    return;
  }
  MQHCONN h = table_add(c);
  if (!h) {
    stop_reader(c);
    conn_destroy(c);
    *pReason = MQRC_STORAGE_NOT_AVAILABLE;
    return;
  }
  *pHconn = h;
  *pCompCode = cc;
  *pReason = rc;
}

MQLIB_EXPORT void MQCONN(PMQCHAR pQMgrName, PMQHCONN pHconn, PMQLONG pCompCode, PMQLONG pReason) {
  MQCONNX(pQMgrName, NULL, pHconn, pCompCode, pReason);
}

MQLIB_EXPORT void MQDISC(PMQHCONN pHconn, PMQLONG pCompCode, PMQLONG pReason) {
  conn_t *c = pHconn ? verb_begin(*pHconn, pCompCode, pReason) : NULL;
  if (!c) {
    *pCompCode = MQCC_FAILED;
    *pReason = MQRC_HCONN_ERROR;
    return;
  }
  if (!table_remove(c)) {
    conn_release(c);
    *pCompCode = MQCC_FAILED;
    *pReason = MQRC_HCONN_ERROR;
    return;
  }
  consumers_disconnect(c);
  buf_t b = {0};
  req_begin(&b, OP_DISCONNECT);
  pending_t p;
  request(c, &b, &p, pCompCode, pReason);
  pending_free(&p);
  stop_reader(c);
  hmsg_release_conn(c->hconn);
  /* The handle is released even when the connection had broken (2009): nothing is left to do
   * with it. */
  *pHconn = MQHC_UNUSABLE_HCONN;
  conn_release(c); /* verb_begin's reference */
  conn_release(c); /* the table's */
}
