/* Message handles and their properties (MQCRTMH, MQDLTMH, MQSETMP, MQINQMP, MQDLTMP): a store
 * kept in the library, as the MQ client keeps it, and copied to and from the wire on put and get
 * (MQ-BEHAVIOUR §9). Names given with the `usr.` prefix are kept without it, as MQ returns them. */
#include "mqlib.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct {
  char *name;
  size_t name_n;
  MQLONG type;
  unsigned char *value;
  size_t value_n;
} prop_t;

typedef struct msgh {
  MQHMSG hmsg;
  MQHCONN owner;
  prop_t *props;
  size_t n, cap;
  /* MQINQMP's cursor: the pattern of the last inquiry and where it stopped. */
  char *cursor_name;
  size_t cursor_name_n;
  size_t cursor; /* index after the property last returned */
  struct msgh *next;
} msgh_t;

static pthread_mutex_t handles_lock = PTHREAD_MUTEX_INITIALIZER;
static msgh_t *handles;
static MQHMSG last_hmsg;

static msgh_t *find_locked(MQHMSG h) {
  msgh_t *m = handles;
  while (m && m->hmsg != h) m = m->next;
  return m;
}

int hmsg_valid(MQHMSG hmsg) {
  pthread_mutex_lock(&handles_lock);
  int ok = find_locked(hmsg) != NULL;
  pthread_mutex_unlock(&handles_lock);
  return ok;
}

static void clear_props(msgh_t *m) {
  for (size_t i = 0; i < m->n; i++) {
    free(m->props[i].name);
    free(m->props[i].value);
  }
  m->n = 0;
}

static void msgh_free(msgh_t *m) {
  clear_props(m);
  free(m->props);
  free(m->cursor_name);
  free(m);
}

void hmsg_release_conn(MQHCONN hconn) {
  pthread_mutex_lock(&handles_lock);
  msgh_t **pp = &handles;
  while (*pp) {
    msgh_t *m = *pp;
    if (m->owner == hconn) {
      *pp = m->next;
      msgh_free(m);
    } else {
      pp = &m->next;
    }
  }
  pthread_mutex_unlock(&handles_lock);
}

/* The name a property is stored under: without the `usr.` prefix. Returns whether it had one. */
static int short_name(const char **s, size_t *n) {
  if (*n > 4 && strncmp(*s, "usr.", 4) == 0) {
    *s += 4;
    *n -= 4;
    return 1;
  }
  return 0;
}

static prop_t *find_prop(msgh_t *m, const char *name, size_t n) {
  for (size_t i = 0; i < m->n; i++)
    if (m->props[i].name_n == n && memcmp(m->props[i].name, name, n) == 0) return &m->props[i];
  return NULL;
}

/* Sets (adds or replaces) a property; returns 0, or -1 without memory. */
static int set_prop(msgh_t *m, const char *name, size_t name_n, MQLONG type, const void *value, size_t value_n) {
  unsigned char *v = malloc(value_n ? value_n : 1);
  if (!v) return -1;
  if (value_n) memcpy(v, value, value_n);
  prop_t *p = find_prop(m, name, name_n);
  if (!p) {
    if (m->n == m->cap) {
      size_t cap = m->cap ? m->cap * 2 : 8;
      prop_t *props = realloc(m->props, cap * sizeof *props);
      if (!props) {
        free(v);
        return -1;
      }
      m->props = props;
      m->cap = cap;
    }
    char *nm = malloc(name_n + 1);
    if (!nm) {
      free(v);
      return -1;
    }
    memcpy(nm, name, name_n);
    nm[name_n] = '\0';
    p = &m->props[m->n++];
    p->name = nm;
    p->name_n = name_n;
  } else {
    free(p->value);
  }
  p->type = type;
  p->value = v;
  p->value_n = value_n;
  return 0;
}

/* ---- the wire -------------------------------------------------------------------------- */

MQLONG props_encode(buf_t *b, MQHMSG hmsg) {
  if (hmsg == MQHM_NONE) {
    buf_u32(b, 0);
    return MQRC_NONE;
  }
  pthread_mutex_lock(&handles_lock);
  msgh_t *m = find_locked(hmsg);
  if (m) {
    buf_u32(b, (uint32_t)m->n);
    for (size_t i = 0; i < m->n; i++) {
      buf_str(b, m->props[i].name, m->props[i].name_n);
      buf_i32(b, m->props[i].type);
      buf_bytes(b, m->props[i].value, m->props[i].value_n);
    }
  }
  pthread_mutex_unlock(&handles_lock);
  return m ? MQRC_NONE : MQRC_HMSG_ERROR;
}

void props_skip(rd_t *r) {
  uint32_t count = (uint32_t)rd_i32(r);
  for (uint32_t i = 0; i < count && !r->bad; i++) {
    size_t n;
    rd_bytes(r, &n);
    rd_i32(r);
    rd_bytes(r, &n);
  }
}

MQLONG props_decode(rd_t *r, MQHMSG hmsg) {
  pthread_mutex_lock(&handles_lock);
  msgh_t *m = find_locked(hmsg);
  if (m) {
    /* Whatever the handle held before the get is replaced (MQ-BEHAVIOUR §9). */
    clear_props(m);
    m->cursor = 0;
    uint32_t count = (uint32_t)rd_i32(r);
    for (uint32_t i = 0; i < count && !r->bad; i++) {
      size_t name_n, value_n;
      const char *name = (const char *)rd_bytes(r, &name_n);
      MQLONG type = rd_i32(r);
      const unsigned char *value = rd_bytes(r, &value_n);
      short_name(&name, &name_n);
      if (!r->bad) set_prop(m, name, name_n, type, value, value_n);
    }
  }
  pthread_mutex_unlock(&handles_lock);
  return m ? MQRC_NONE : MQRC_HMSG_ERROR;
}

/* ---- the verbs ------------------------------------------------------------------------- */

/* Property verbs need a live connection, or MQHC_UNASSOCIATED_HCONN; returns 0 or a reason. */
static MQLONG check_hconn(MQHCONN hconn) {
  if (hconn == MQHC_UNASSOCIATED_HCONN) return MQRC_NONE;
  conn_t *c = conn_acquire(hconn);
  if (!c) return MQRC_HCONN_ERROR;
  pthread_mutex_lock(&c->mu);
  int broken = c->broken;
  pthread_mutex_unlock(&c->mu);
  conn_release(c);
  return broken ? MQRC_CONNECTION_BROKEN : MQRC_NONE;
}

static void result(PMQLONG cc, PMQLONG rc, MQLONG reason) {
  *cc = reason == MQRC_NONE ? MQCC_OK : MQCC_FAILED;
  *rc = reason;
}

/* A property name from its MQCHARV (by pointer or by offset from the MQCHARV), in its short
 * form; `user` says whether it was given with `usr.`. Returns 0, or -1 for no name. */
static int name_in(const MQCHARV *v, const char **s, size_t *n, int *user) {
  if (!v) return -1;
  const char *p = v->VSPtr ? (const char *)v->VSPtr : v->VSOffset ? (const char *)v + v->VSOffset : NULL;
  if (!p || v->VSLength < MQVS_NULL_TERMINATED) return -1;
  *s = p;
  *n = v->VSLength == MQVS_NULL_TERMINATED ? strlen(p) : (size_t)v->VSLength;
  *user = short_name(s, n);
  return *n == 0 ? -1 : 0;
}

MQLIB_EXPORT void MQCRTMH(MQHCONN Hconn, PMQVOID pCrtMsgHOpts, PMQHMSG pHmsg, PMQLONG pCompCode, PMQLONG pReason) {
  MQLONG bad = check_hconn(Hconn);
  if (!bad && (!pCrtMsgHOpts || !has_strucid(pCrtMsgHOpts, MQCMHO_STRUC_ID))) bad = MQRC_CMHO_ERROR;
  if (!bad && !pHmsg) bad = MQRC_HMSG_ERROR;
  msgh_t *m = bad ? NULL : calloc(1, sizeof *m);
  if (!bad && !m) bad = MQRC_STORAGE_NOT_AVAILABLE;
  if (m) {
    pthread_mutex_lock(&handles_lock);
    m->hmsg = ++last_hmsg;
    m->owner = Hconn;
    m->next = handles;
    handles = m;
    *pHmsg = m->hmsg;
    pthread_mutex_unlock(&handles_lock);
  }
  result(pCompCode, pReason, bad);
}

MQLIB_EXPORT void MQDLTMH(MQHCONN Hconn, PMQHMSG pHmsg, PMQVOID pDltMsgHOpts, PMQLONG pCompCode, PMQLONG pReason) {
  MQLONG bad = check_hconn(Hconn);
  if (!bad && (!pDltMsgHOpts || !has_strucid(pDltMsgHOpts, MQDMHO_STRUC_ID))) bad = MQRC_DMHO_ERROR;
  if (!bad && !pHmsg) bad = MQRC_HMSG_ERROR;
  if (!bad) {
    pthread_mutex_lock(&handles_lock);
    msgh_t **pp = &handles;
    while (*pp && (*pp)->hmsg != *pHmsg) pp = &(*pp)->next;
    msgh_t *m = *pp;
    if (m) {
      *pp = m->next;
      msgh_free(m);
      *pHmsg = MQHM_UNUSABLE_HMSG;
    } else {
      bad = MQRC_HMSG_ERROR;
    }
    pthread_mutex_unlock(&handles_lock);
  }
  result(pCompCode, pReason, bad);
}

/* The length a value of a fixed-size type must have; 0 for variable-length types, -1 for a
 * type that is not a property type. */
static int type_size(MQLONG type) {
  switch (type) {
    case MQTYPE_BOOLEAN:
    case MQTYPE_INT32:
    case MQTYPE_FLOAT32: return 4;
    case MQTYPE_INT8: return 1;
    case MQTYPE_INT16: return 2;
    case MQTYPE_INT64:
    case MQTYPE_FLOAT64: return 8;
    case MQTYPE_NULL:
    case MQTYPE_STRING:
    case MQTYPE_BYTE_STRING: return 0;
    default: return -1;
  }
}

MQLIB_EXPORT void MQSETMP(MQHCONN Hconn, MQHMSG Hmsg, PMQVOID pSetPropOpts, PMQVOID pName, PMQVOID pPropDesc,
                          MQLONG Type, MQLONG ValueLength, PMQVOID pValue, PMQLONG pCompCode, PMQLONG pReason) {
  const char *name = NULL;
  size_t name_n = 0;
  int size = type_size(Type);
  size_t value_n = ValueLength == MQVL_NULL_TERMINATED && Type == MQTYPE_STRING && pValue ? strlen(pValue)
                                                                                          : (size_t)ValueLength;
  int user;
  MQLONG bad = check_hconn(Hconn);
  if (!bad && (!pSetPropOpts || !has_strucid(pSetPropOpts, MQSMPO_STRUC_ID))) bad = MQRC_SMPO_ERROR;
  if (!bad && (!pPropDesc || !has_strucid(pPropDesc, MQPD_STRUC_ID))) bad = MQRC_PD_ERROR;
  if (!bad && (name_in(pName, &name, &name_n, &user) != 0 || memchr(name, '%', name_n))) bad = MQRC_PROPERTY_NAME_ERROR;
  if (!bad && size < 0) bad = MQRC_PROPERTY_TYPE_ERROR;
  if (!bad && Type == MQTYPE_NULL) value_n = 0;
  else if (!bad && ((ValueLength < 0 && !(ValueLength == MQVL_NULL_TERMINATED && Type == MQTYPE_STRING)) ||
                    (size > 0 && value_n != (size_t)size)))
    bad = MQRC_BUFFER_LENGTH_ERROR;
  if (!bad && value_n > 0 && !pValue) bad = MQRC_BUFFER_ERROR;
  if (!bad) {
    pthread_mutex_lock(&handles_lock);
    msgh_t *m = find_locked(Hmsg);
    if (!m) bad = MQRC_HMSG_ERROR;
    else if (set_prop(m, name, name_n, Type, pValue, value_n) != 0) bad = MQRC_STORAGE_NOT_AVAILABLE;
    pthread_mutex_unlock(&handles_lock);
  }
  result(pCompCode, pReason, bad);
}

/* Property namespaces that are not the user's: `usr.%` does not match them. */
static int is_user_name(const char *name, size_t n) {
  static const char *const reserved[] = {"jms.", "mcd.", "mq.", "mqext.", "mqps.", "mqtop.", "sib.", "wmq."};
  for (size_t i = 0; i < sizeof reserved / sizeof *reserved; i++) {
    size_t rn = strlen(reserved[i]);
    if (n >= rn && strncasecmp(name, reserved[i], rn) == 0) return 0;
  }
  return 1;
}

/* A property name against an inquiry's name: exact, or a prefix ending in the `%` wildcard.
 * `usr.` was taken off the pattern, so `user_only` says the pattern asked for user names. */
static int name_matches(const prop_t *p, const char *pat, size_t pat_n, int user_only) {
  if (user_only && !is_user_name(p->name, p->name_n)) return 0;
  if (pat_n > 0 && pat[pat_n - 1] == '%')
    return p->name_n >= pat_n - 1 && memcmp(p->name, pat, pat_n - 1) == 0;
  return p->name_n == pat_n && memcmp(p->name, pat, pat_n) == 0;
}

MQLIB_EXPORT void MQINQMP(MQHCONN Hconn, MQHMSG Hmsg, PMQVOID pInqPropOpts, PMQVOID pName, PMQVOID pPropDesc,
                          PMQLONG pType, MQLONG ValueLength, PMQVOID pValue, PMQLONG pDataLength, PMQLONG pCompCode,
                          PMQLONG pReason) {
  MQIMPO *impo = pInqPropOpts;
  const char *pat = NULL;
  size_t pat_n = 0;
  MQLONG bad = check_hconn(Hconn);
  if (!bad && (!impo || !has_strucid(impo, MQIMPO_STRUC_ID))) bad = MQRC_IMPO_ERROR;
  if (!bad && pPropDesc && !has_strucid(pPropDesc, MQPD_STRUC_ID)) bad = MQRC_PD_ERROR;
  int user_only = 0;
  if (!bad && name_in(pName, &pat, &pat_n, &user_only) != 0) bad = MQRC_PROPERTY_NAME_ERROR;
  if (!bad && ValueLength < 0) bad = MQRC_BUFFER_LENGTH_ERROR;
  /* The input Type is only meaningful with CONVERT_TYPE (the binding leaves it uninitialised). */
  MQLONG wanted = impo && (impo->Options & MQIMPO_CONVERT_TYPE) && pType ? *pType : MQTYPE_AS_SET;
  if (bad) {
    result(pCompCode, pReason, bad);
    return;
  }

  pthread_mutex_lock(&handles_lock);
  msgh_t *m = find_locked(Hmsg);
  prop_t *found = NULL;
  if (!m) {
    bad = MQRC_HMSG_ERROR;
  } else {
    int same = m->cursor_name && m->cursor_name_n == pat_n && memcmp(m->cursor_name, pat, pat_n) == 0;
    if (impo->Options & MQIMPO_INQ_PROP_UNDER_CURSOR) {
      if (same && m->cursor > 0 && m->cursor <= m->n) found = &m->props[m->cursor - 1];
    } else {
      /* INQ_NEXT carries on after the last match of the same name; anything else starts over. */
      size_t from = (impo->Options & MQIMPO_INQ_NEXT) && same ? m->cursor : 0;
      for (size_t i = from; i < m->n && !found; i++) {
        if (name_matches(&m->props[i], pat, pat_n, user_only)) {
          found = &m->props[i];
          m->cursor = i + 1;
        }
      }
      if (!same) {
        char *cn = malloc(pat_n ? pat_n : 1);
        if (cn) memcpy(cn, pat, pat_n);
        free(m->cursor_name);
        m->cursor_name = cn;
        m->cursor_name_n = cn ? pat_n : 0;
      }
    }
    if (!found) bad = MQRC_PROPERTY_NOT_AVAILABLE;
    else if (wanted != MQTYPE_AS_SET && wanted != found->type) bad = MQRC_PROP_CONV_NOT_SUPPORTED;
  }
  if (found && !bad) {
    MQCHARV *rn = &impo->ReturnedName;
    char *out = rn->VSPtr ? (char *)rn->VSPtr : rn->VSOffset ? (char *)impo + rn->VSOffset : NULL;
    if (out && rn->VSBufSize > 0) {
      if ((size_t)rn->VSBufSize < found->name_n) {
        bad = MQRC_PROPERTY_NAME_TOO_BIG;
      } else {
        memcpy(out, found->name, found->name_n);
        rn->VSLength = (MQLONG)found->name_n;
      }
    }
    impo->ReturnedEncoding = MQENC_NATIVE;
    impo->ReturnedCCSID = 1208;
    if (pType) *pType = found->type;
    if (pDataLength) *pDataLength = (MQLONG)found->value_n;
    if (pPropDesc) {
      MQPD pd = {MQPD_DEFAULT};
      memcpy(pPropDesc, &pd, sizeof pd);
    }
    if (!bad && !(impo->Options & MQIMPO_QUERY_LENGTH)) {
      size_t n = found->value_n <= (size_t)ValueLength ? found->value_n : (size_t)ValueLength;
      if (n && pValue) memcpy(pValue, found->value, n);
      if (n < found->value_n) bad = MQRC_PROPERTY_VALUE_TOO_BIG;
    }
  }
  pthread_mutex_unlock(&handles_lock);
  result(pCompCode, pReason, bad);
}

MQLIB_EXPORT void MQDLTMP(MQHCONN Hconn, MQHMSG Hmsg, PMQVOID pDltPropOpts, PMQVOID pName, PMQLONG pCompCode,
                          PMQLONG pReason) {
  /* The ibmmq binding (2.1.9, src/mqmpo.cc) calls MQDLTMP(Hconn, &Hmsg, &DltPropOpts, &CC, &RC):
   * no name, its CompCode arrives as pName and its Reason, 4 bytes further on, as pCompCode, and
   * pReason is whatever was in the register. A real MQCHARV cannot have the CompCode inside it, so
   * that layout is the binding's call. Which property it meant never reaches the library: it is
   * told so (2442) through its own two pointers instead of crashing. */
  if (pName && (char *)pCompCode == (char *)pName + sizeof(MQLONG)) {
    *(PMQLONG)pName = MQCC_FAILED;
    *pCompCode = MQRC_PROPERTY_NAME_ERROR;
    return;
  }
  const char *name = NULL;
  size_t name_n = 0;
  int user;
  MQLONG bad = check_hconn(Hconn);
  if (!bad && (!pDltPropOpts || !has_strucid(pDltPropOpts, MQDMPO_STRUC_ID))) bad = MQRC_DMPO_ERROR;
  if (!bad && name_in(pName, &name, &name_n, &user) != 0) bad = MQRC_PROPERTY_NAME_ERROR;
  if (!bad) {
    pthread_mutex_lock(&handles_lock);
    msgh_t *m = find_locked(Hmsg);
    prop_t *p = m ? find_prop(m, name, name_n) : NULL;
    if (!m) {
      bad = MQRC_HMSG_ERROR;
    } else if (!p) {
      bad = MQRC_PROPERTY_NOT_AVAILABLE;
    } else {
      free(p->name);
      free(p->value);
      size_t i = (size_t)(p - m->props);
      memmove(p, p + 1, (m->n - i - 1) * sizeof *p);
      m->n--;
      if (m->cursor > i) m->cursor--;
    }
    pthread_mutex_unlock(&handles_lock);
  }
  result(pCompCode, pReason, bad);
}
