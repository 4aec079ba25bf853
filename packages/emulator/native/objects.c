/* The object verbs: MQOPEN, MQCLOSE, MQPUT, MQPUT1, MQGET, MQINQ, MQSET, MQSUB, MQSUBRQ and
 * MQSTAT. Each checks its structures as MQ does, sends one request and copies the results back
 * into the caller's structures (MQ-BEHAVIOUR §2-§4, §7, §8, §11). */
#include "mqlib.h"

#include <stdlib.h>
#include <string.h>

/* ---- shared pieces --------------------------------------------------------------------- */

/* An MQCHARV given by pointer or by offset from the start of its structure. Returns 0, or -1
 * for an impossible one (negative length other than MQVS_NULL_TERMINATED, or no string). */
static int charv_in(const void *base, const MQCHARV *v, const char **s, size_t *n) {
  const char *p = v->VSPtr ? (const char *)v->VSPtr : v->VSOffset ? (const char *)base + v->VSOffset : NULL;
  *s = p;
  *n = 0;
  if (v->VSLength == MQVS_NULL_TERMINATED) {
    if (p) *n = strlen(p);
    return 0;
  }
  if (v->VSLength < 0 || (v->VSLength > 0 && !p)) return -1;
  *n = (size_t)v->VSLength;
  return 0;
}

/* Returns a string in an output MQCHARV. VSLength is what was copied, never more than the
 * buffer: the binding reads VSLength bytes from VSPtr. */
static void charv_out(void *base, MQCHARV *v, const void *s, size_t n) {
  char *p = v->VSPtr ? (char *)v->VSPtr : v->VSOffset ? (char *)base + v->VSOffset : NULL;
  if (!p || v->VSBufSize <= 0) return;
  if (n > (size_t)v->VSBufSize) n = (size_t)v->VSBufSize;
  memcpy(p, s, n);
  v->VSLength = (MQLONG)n;
}

MQLONG md_in(const void *app, MQMD *v2) {
  const MQMD *m = app;
  if (!m || !has_strucid(m, MQMD_STRUC_ID)) return MQRC_MD_ERROR;
  if (m->Version == MQMD_VERSION_1) {
    MQMD d = {MQMD_DEFAULT};
    memcpy(&d, m, MQMD_LENGTH_1);
    d.Version = MQMD_VERSION_2;
    *v2 = d;
  } else if (m->Version == MQMD_VERSION_2) {
    *v2 = *m;
  } else {
    return MQRC_MD_ERROR;
  }
  return MQRC_NONE;
}

void md_out(void *app, const MQMD *v2) {
  MQMD *m = app;
  MQLONG version = m->Version;
  memcpy(m, v2, version == MQMD_VERSION_1 ? MQMD_LENGTH_1 : MQMD_LENGTH_2);
  m->Version = version;
}

static MQLONG pmo_check(const MQPMO *pmo) {
  if (!pmo || !has_strucid(pmo, MQPMO_STRUC_ID) || pmo->Version < MQPMO_VERSION_1 || pmo->Version > MQPMO_VERSION_3)
    return MQRC_PMO_ERROR;
  return MQRC_NONE;
}

MQLONG gmo_check(const MQGMO *gmo) {
  if (!gmo || !has_strucid(gmo, MQGMO_STRUC_ID) || gmo->Version < MQGMO_VERSION_1 || gmo->Version > MQGMO_VERSION_4)
    return MQRC_GMO_ERROR;
  return MQRC_NONE;
}

static MQLONG od_check(const MQOD *od) {
  if (!od || !has_strucid(od, MQOD_STRUC_ID) || od->Version < MQOD_VERSION_1 || od->Version > MQOD_VERSION_4)
    return MQRC_OD_ERROR;
  return MQRC_NONE;
}

static MQLONG buffer_check(MQLONG length, const void *buffer) {
  if (length < 0) return MQRC_BUFFER_LENGTH_ERROR;
  if (length > 0 && !buffer) return MQRC_BUFFER_ERROR;
  return MQRC_NONE;
}

/* Ends a verb that failed before reaching the server. */
static void fail(conn_t *c, PMQLONG cc, PMQLONG rc, MQLONG reason) {
  *cc = MQCC_FAILED;
  *rc = reason;
  conn_release(c);
}

/* An MQOD's object string (version 4), or an empty one. */
static int od_object_string(const MQOD *od, const char **s, size_t *n) {
  *s = NULL;
  *n = 0;
  return od->Version >= MQOD_VERSION_4 ? charv_in(od, &od->ObjectString, s, n) : 0;
}

/* ---- MQOPEN / MQCLOSE ------------------------------------------------------------------- */

/* Whether the name MQOPEN resolved is a dynamic queue made from a model: it fits DynamicQName
 * (its prefix before a trailing `*`, or the whole name) and is not the name that was opened. */
static int is_dynamic_name(const MQOD *od, const unsigned char *name, size_t n) {
  size_t on = fixed_len(od->ObjectName, MQ_Q_NAME_LENGTH);
  if (n == on && memcmp(name, od->ObjectName, n) == 0) return 0;
  size_t dn = fixed_len(od->DynamicQName, MQ_Q_NAME_LENGTH);
  if (dn > 0 && od->DynamicQName[dn - 1] == '*') return n >= dn - 1 && memcmp(name, od->DynamicQName, dn - 1) == 0;
  return n == dn && memcmp(name, od->DynamicQName, n) == 0;
}

MQLIB_EXPORT void MQOPEN(MQHCONN Hconn, PMQVOID pObjDesc, MQLONG Options, PMQHOBJ pHobj, PMQLONG pCompCode,
                         PMQLONG pReason) {
  conn_t *c = verb_begin(Hconn, pCompCode, pReason);
  if (!c) return;
  MQOD *od = pObjDesc;
  const char *os = NULL;
  size_t os_n = 0;
  MQLONG bad = od_check(od);
  if (!bad && od_object_string(od, &os, &os_n) != 0) bad = MQRC_OBJECT_STRING_ERROR;
  if (!bad && !pHobj) bad = MQRC_HOBJ_ERROR;
  if (bad) {
    fail(c, pCompCode, pReason, bad);
    return;
  }

  buf_t b = {0};
  req_begin(&b, OP_OPEN);
  buf_i32(&b, od->ObjectType);
  buf_fixed(&b, od->ObjectName, MQ_Q_NAME_LENGTH);
  buf_fixed(&b, od->ObjectQMgrName, MQ_Q_MGR_NAME_LENGTH);
  buf_fixed(&b, od->DynamicQName, MQ_Q_NAME_LENGTH);
  buf_str(&b, os, os_n);
  buf_i32(&b, Options);
  pending_t p;
  request(c, &b, &p, pCompCode, pReason);
  if (p.cc != MQCC_FAILED) {
    rd_t r = results_of(&p);
    MQHOBJ hobj = rd_i32(&r);
    size_t name_n, qm_n;
    const unsigned char *name = rd_bytes(&r, &name_n);
    const unsigned char *qm = rd_bytes(&r, &qm_n);
    *pHobj = hobj;
    int topic = od->ObjectType == MQOT_TOPIC;
    if (od->ObjectType == MQOT_Q && is_dynamic_name(od, name, name_n)) {
      fixed_set(od->ObjectName, MQ_Q_NAME_LENGTH, name, name_n);
      fixed_set(od->ObjectQMgrName, MQ_Q_MGR_NAME_LENGTH, qm, qm_n);
    }
    if (od->Version >= MQOD_VERSION_3) {
      fixed_set(od->ResolvedQName, MQ_Q_NAME_LENGTH, name, topic ? 0 : name_n);
      fixed_set(od->ResolvedQMgrName, MQ_Q_MGR_NAME_LENGTH, qm, qm_n);
    }
    if (od->Version >= MQOD_VERSION_4 && topic) charv_out(od, &od->ResObjectString, name, name_n);
    objrec_add(c, hobj, name, topic ? 0 : name_n, qm, qm_n);
  }
  pending_free(&p);
  conn_release(c);
}

MQLIB_EXPORT void MQCLOSE(MQHCONN Hconn, PMQHOBJ pHobj, MQLONG Options, PMQLONG pCompCode, PMQLONG pReason) {
  conn_t *c = verb_begin(Hconn, pCompCode, pReason);
  if (!c) return;
  if (!pHobj) {
    fail(c, pCompCode, pReason, MQRC_HOBJ_ERROR);
    return;
  }
  MQHOBJ hobj = *pHobj;
  consumers_object_closed(c, hobj);
  buf_t b = {0};
  req_begin(&b, OP_CLOSE);
  buf_i32(&b, hobj);
  buf_i32(&b, Options);
  pending_t p;
  request(c, &b, &p, pCompCode, pReason);
  if (p.cc != MQCC_FAILED) {
    *pHobj = MQHO_UNUSABLE_HOBJ;
    pthread_mutex_lock(&c->mu);
    objrec_t **pp = &c->objects;
    while (*pp && (*pp)->hobj != hobj) pp = &(*pp)->next;
    objrec_t *o = *pp;
    if (o) *pp = o->next;
    pthread_mutex_unlock(&c->mu);
    free(o);
  }
  pending_free(&p);
  conn_release(c);
}

/* ---- MQPUT / MQPUT1 --------------------------------------------------------------------- */

/* The part of a PUT and a PUT1 after the object: md, options, properties, body. Returns 0 or
 * a reason found before sending. */
static MQLONG put_tail(buf_t *b, const MQMD *md, const MQPMO *pmo, MQLONG length, const void *buffer) {
  buf_raw(b, md, sizeof *md);
  buf_i32(b, pmo->Options);
  MQLONG bad = props_encode(b, pmo->Version >= MQPMO_VERSION_3 ? pmo->OriginalMsgHandle : MQHM_NONE);
  buf_bytes(b, buffer, (size_t)length);
  return bad;
}

/* Sends a PUT or PUT1 and copies the resolved descriptor back. */
static void put_call(conn_t *c, buf_t *b, void *app_md, PMQLONG cc, PMQLONG rc) {
  pending_t p;
  request(c, b, &p, cc, rc);
  if (p.cc != MQCC_FAILED) {
    rd_t r = results_of(&p);
    const unsigned char *md = rd_raw(&r, sizeof(MQMD));
    if (md) {
      MQMD v2;
      memcpy(&v2, md, sizeof v2);
      md_out(app_md, &v2);
    }
  }
  pending_free(&p);
}

MQLIB_EXPORT void MQPUT(MQHCONN Hconn, MQHOBJ Hobj, PMQVOID pMsgDesc, PMQVOID pPutMsgOpts, MQLONG BufferLength,
                        PMQVOID pBuffer, PMQLONG pCompCode, PMQLONG pReason) {
  conn_t *c = verb_begin(Hconn, pCompCode, pReason);
  if (!c) return;
  MQMD md;
  MQPMO *pmo = pPutMsgOpts;
  MQLONG bad = md_in(pMsgDesc, &md);
  if (!bad) bad = pmo_check(pmo);
  if (!bad) bad = buffer_check(BufferLength, pBuffer);
  buf_t b = {0};
  if (!bad) {
    req_begin(&b, OP_PUT);
    buf_i32(&b, Hobj);
    bad = put_tail(&b, &md, pmo, BufferLength, pBuffer);
  }
  if (bad) {
    buf_free(&b);
    fail(c, pCompCode, pReason, bad);
    return;
  }
  put_call(c, &b, pMsgDesc, pCompCode, pReason);
  if (*pCompCode != MQCC_FAILED) {
    pthread_mutex_lock(&c->mu);
    objrec_t *o = objrec_find(c, Hobj);
    if (o) {
      memcpy(pmo->ResolvedQName, o->qname, MQ_Q_NAME_LENGTH);
      memcpy(pmo->ResolvedQMgrName, o->qmgrname, MQ_Q_MGR_NAME_LENGTH);
    }
    pthread_mutex_unlock(&c->mu);
  }
  conn_release(c);
}

MQLIB_EXPORT void MQPUT1(MQHCONN Hconn, PMQVOID pObjDesc, PMQVOID pMsgDesc, PMQVOID pPutMsgOpts,
                         MQLONG BufferLength, PMQVOID pBuffer, PMQLONG pCompCode, PMQLONG pReason) {
  conn_t *c = verb_begin(Hconn, pCompCode, pReason);
  if (!c) return;
  MQOD *od = pObjDesc;
  MQMD md;
  MQPMO *pmo = pPutMsgOpts;
  const char *os = NULL;
  size_t os_n = 0;
  MQLONG bad = od_check(od);
  if (!bad && od_object_string(od, &os, &os_n) != 0) bad = MQRC_OBJECT_STRING_ERROR;
  if (!bad) bad = md_in(pMsgDesc, &md);
  if (!bad) bad = pmo_check(pmo);
  if (!bad) bad = buffer_check(BufferLength, pBuffer);
  buf_t b = {0};
  if (!bad) {
    req_begin(&b, OP_PUT1);
    buf_i32(&b, od->ObjectType);
    buf_fixed(&b, od->ObjectName, MQ_Q_NAME_LENGTH);
    buf_fixed(&b, od->ObjectQMgrName, MQ_Q_MGR_NAME_LENGTH);
    buf_str(&b, os, os_n);
    bad = put_tail(&b, &md, pmo, BufferLength, pBuffer);
  }
  if (bad) {
    buf_free(&b);
    fail(c, pCompCode, pReason, bad);
    return;
  }
  put_call(c, &b, pMsgDesc, pCompCode, pReason);
  conn_release(c);
}

/* ---- MQGET ------------------------------------------------------------------------------ */

void get_request(buf_t *b, MQHOBJ hobj, const MQMD *md, const MQGMO *gmo, MQLONG wait, MQLONG buffer_length) {
  req_begin(b, OP_GET);
  buf_i32(b, hobj);
  buf_raw(b, md, sizeof *md);
  buf_i32(b, gmo->Options);
  /* A version 1 MQGMO has no MatchOptions: its non-zero MsgId and CorrelId are the criteria. */
  buf_i32(b, gmo->Version >= MQGMO_VERSION_2 ? gmo->MatchOptions : MQMO_MATCH_MSG_ID | MQMO_MATCH_CORREL_ID);
  buf_i32(b, wait);
  buf_i32(b, buffer_length);
}

int get_result(const pending_t *p, get_result_t *out) {
  if (!p->payload || (p->cc == MQCC_FAILED && p->rc != MQRC_TRUNCATED_MSG_FAILED)) return -1;
  rd_t r = results_of(p);
  const unsigned char *md = rd_raw(&r, sizeof(MQMD));
  out->props = r;
  props_skip(&r);
  out->data_length = rd_i32(&r);
  out->data = rd_bytes(&r, &out->data_n);
  if (r.bad || !md) return -1;
  memcpy(&out->md, md, sizeof out->md);
  return 0;
}

MQLONG get_outputs(const MQCHAR *qname, MQGMO *gmo, get_result_t *res, MQLONG returned) {
  if (qname) memcpy(gmo->ResolvedQName, qname, MQ_Q_NAME_LENGTH);
  if (gmo->Version >= MQGMO_VERSION_2) {
    MQLONG f = res->md.MsgFlags;
    gmo->GroupStatus = (f & MQMF_LAST_MSG_IN_GROUP) == MQMF_LAST_MSG_IN_GROUP ? MQGS_LAST_MSG_IN_GROUP
                       : (f & MQMF_MSG_IN_GROUP)                              ? MQGS_MSG_IN_GROUP
                                                                              : MQGS_NOT_IN_GROUP;
    gmo->SegmentStatus = (f & MQMF_LAST_SEGMENT) == MQMF_LAST_SEGMENT ? MQSS_LAST_SEGMENT
                         : (f & MQMF_SEGMENT)                         ? MQSS_SEGMENT
                                                                      : MQSS_NOT_A_SEGMENT;
    gmo->Segmentation = (f & MQMF_SEGMENTATION_ALLOWED) ? MQSEG_ALLOWED : MQSEG_INHIBITED;
  }
  if (gmo->Version >= MQGMO_VERSION_3) gmo->ReturnedLength = returned;
  if (gmo->Version >= MQGMO_VERSION_4 && gmo->MsgHandle != MQHM_NONE && !(gmo->Options & MQGMO_NO_PROPERTIES))
    return props_decode(&res->props, gmo->MsgHandle);
  return MQRC_NONE;
}

MQLIB_EXPORT void MQGET(MQHCONN Hconn, MQHOBJ Hobj, PMQVOID pMsgDesc, PMQVOID pGetMsgOpts, MQLONG BufferLength,
                        PMQVOID pBuffer, PMQLONG pDataLength, PMQLONG pCompCode, PMQLONG pReason) {
  conn_t *c = verb_begin(Hconn, pCompCode, pReason);
  if (!c) return;
  if (pDataLength) *pDataLength = 0;
  MQMD md;
  MQGMO *gmo = pGetMsgOpts;
  MQLONG bad = md_in(pMsgDesc, &md);
  if (!bad) bad = gmo_check(gmo);
  if (!bad) bad = buffer_check(BufferLength, pBuffer);
  if (!bad && gmo->Version >= MQGMO_VERSION_4 && gmo->MsgHandle != MQHM_NONE && !hmsg_valid(gmo->MsgHandle))
    bad = MQRC_HMSG_ERROR;
  if (bad) {
    fail(c, pCompCode, pReason, bad);
    return;
  }

  buf_t b = {0};
  get_request(&b, Hobj, &md, gmo, (gmo->Options & MQGMO_WAIT) ? gmo->WaitInterval : 0, BufferLength);
  pending_t p;
  request(c, &b, &p, pCompCode, pReason);
  get_result_t res;
  if (get_result(&p, &res) == 0) {
    size_t n = res.data_n < (size_t)BufferLength ? res.data_n : (size_t)BufferLength;
    if (n) memcpy(pBuffer, res.data, n);
    if (pDataLength) *pDataLength = res.data_length;
    md_out(pMsgDesc, &res.md);
    MQCHAR48 qname;
    pthread_mutex_lock(&c->mu);
    objrec_t *o = objrec_find(c, Hobj);
    if (o) memcpy(qname, o->qname, sizeof qname);
    pthread_mutex_unlock(&c->mu);
    MQLONG props = get_outputs(o ? qname : NULL, gmo, &res, (MQLONG)n);
    if (props && *pCompCode == MQCC_OK) {
      *pCompCode = MQCC_WARNING;
      *pReason = props;
    }
  }
  pending_free(&p);
  conn_release(c);
}

/* ---- MQINQ / MQSET ---------------------------------------------------------------------- */

#define MAX_SELECTORS 256

/* The length MQ gives each character attribute; 0 for a selector this library does not know. */
static MQLONG char_attr_length(MQLONG selector) {
  switch (selector) {
    case MQCA_TRIGGER_DATA: return MQ_TRIGGER_DATA_LENGTH;
    case MQCA_Q_MGR_NAME:
    case MQCA_REMOTE_Q_MGR_NAME:
    case MQCA_PARENT: return MQ_Q_MGR_NAME_LENGTH;
    case MQCA_DEAD_LETTER_Q_NAME:
    case MQCA_BASE_Q_NAME:
    case MQCA_BACKOUT_REQ_Q_NAME:
    case MQCA_COMMAND_INPUT_Q_NAME:
    case MQCA_INITIATION_Q_NAME:
    case MQCA_DEF_XMIT_Q_NAME:
    case MQCA_Q_NAME:
    case MQCA_REMOTE_Q_NAME:
    case MQCA_XMIT_Q_NAME:
    case MQCA_STREAM_QUEUE_NAME: return MQ_Q_NAME_LENGTH;
    case MQCA_ALTERATION_DATE:
    case MQCA_CREATION_DATE: return MQ_DATE_LENGTH;
    case MQCA_ALTERATION_TIME:
    case MQCA_CREATION_TIME: return MQ_TIME_LENGTH;
    case MQCA_APPL_ID: return MQ_PROCESS_APPL_ID_LENGTH;
    case MQCA_CERT_LABEL:
    case MQCA_QSG_CERT_LABEL: return MQ_CERT_LABEL_LENGTH;
    case MQCA_CF_STRUC_NAME: return MQ_CF_STRUC_NAME_LENGTH;
    case MQCA_CHANNEL_AUTO_DEF_EXIT:
    case MQCA_CLUSTER_WORKLOAD_EXIT: return MQ_EXIT_NAME_LENGTH;
    case MQCA_CHINIT_SERVICE_PARM: return MQ_CHINIT_SERVICE_PARM_LENGTH;
    case MQCA_CLUSTER_NAME:
    case MQCA_REPOSITORY_NAME: return MQ_CLUSTER_NAME_LENGTH;
    case MQCA_CLUS_CHL_NAME:
    case MQCA_COMM_INFO_NAME: return MQ_OBJECT_NAME_LENGTH;
    case MQCA_CLUSTER_WORKLOAD_DATA: return MQ_EXIT_DATA_LENGTH;
    case MQCA_CONN_AUTH: return MQ_AUTH_INFO_NAME_LENGTH;
    case MQCA_CUSTOM: return MQ_CUSTOM_LENGTH;
    case MQCA_DNS_GROUP: return MQ_DNS_GROUP_NAME_LENGTH;
    case MQCA_ENV_DATA: return MQ_PROCESS_ENV_DATA_LENGTH;
    case MQCA_IGQ_USER_ID: return MQ_USER_ID_LENGTH;
    case MQCA_INITIAL_KEY: return MQ_INITIAL_KEY_LENGTH;
    case MQCA_INSTALLATION_DESC: return MQ_INSTALLATION_DESC_LENGTH;
    case MQCA_INSTALLATION_NAME: return MQ_INSTALLATION_NAME_LENGTH;
    case MQCA_INSTALLATION_PATH: return MQ_INSTALLATION_PATH_LENGTH;
    case MQCA_LU62_ARM_SUFFIX: return MQ_ARM_SUFFIX_LENGTH;
    case MQCA_LU_GROUP_NAME:
    case MQCA_LU_NAME: return MQ_LU_NAME_LENGTH;
    case MQCA_NAMELIST_DESC: return MQ_NAMELIST_DESC_LENGTH;
    case MQCA_NAMELIST_NAME:
    case MQCA_CLUSTER_NAMELIST:
    case MQCA_REPOSITORY_NAMELIST:
    case MQCA_SSL_CRL_NAMELIST: return MQ_NAMELIST_NAME_LENGTH;
    case MQCA_PROCESS_DESC: return MQ_PROCESS_DESC_LENGTH;
    case MQCA_PROCESS_NAME: return MQ_PROCESS_NAME_LENGTH;
    case MQCA_Q_DESC: return MQ_Q_DESC_LENGTH;
    case MQCA_Q_MGR_DESC: return MQ_Q_MGR_DESC_LENGTH;
    case MQCA_Q_MGR_IDENTIFIER: return MQ_Q_MGR_IDENTIFIER_LENGTH;
    case MQCA_QSG_NAME: return MQ_QSG_NAME_LENGTH;
    case MQCA_SSL_CRYPTO_HARDWARE: return MQ_SSL_CRYPTO_HARDWARE_LENGTH;
    case MQCA_SSL_KEY_REPOSITORY: return MQ_SSL_KEY_REPOSITORY_LENGTH;
    case MQCA_SSL_KEY_REPO_PASSWORD: return MQ_SSL_ENCRYP_KEY_REPO_PWD_LEN;
    case MQCA_STORAGE_CLASS: return MQ_STORAGE_CLASS_LENGTH;
    case MQCA_TCP_NAME: return MQ_TCP_NAME_LENGTH;
    case MQCA_USER_DATA: return MQ_PROCESS_USER_DATA_LENGTH;
    case MQCA_VERSION: return MQ_VERSION_LENGTH;
    default: return 0;
  }
}

static int is_int_selector(MQLONG s) { return s >= MQIA_FIRST && s <= MQIA_LAST; }

/* Checks the arrays of MQINQ/MQSET and counts what they need; returns 0 or a reason. */
static MQLONG selectors_check(MQLONG count, const MQLONG *selectors, MQLONG int_count, MQLONG char_length,
                              MQLONG *ints, MQLONG *chars) {
  if (count < 0 || count > MAX_SELECTORS || (count > 0 && !selectors)) return MQRC_SELECTOR_COUNT_ERROR;
  if (int_count < 0) return MQRC_INT_ATTR_COUNT_ERROR;
  if (char_length < 0) return MQRC_CHAR_ATTR_LENGTH_ERROR;
  *ints = *chars = 0;
  for (MQLONG i = 0; i < count; i++) {
    if (is_int_selector(selectors[i])) {
      (*ints)++;
    } else {
      MQLONG len = char_attr_length(selectors[i]);
      if (!len) return MQRC_SELECTOR_ERROR;
      *chars += len;
    }
  }
  return MQRC_NONE;
}

MQLIB_EXPORT void MQINQ(MQHCONN Hconn, MQHOBJ Hobj, MQLONG SelectorCount, PMQLONG pSelectors, MQLONG IntAttrCount,
                        PMQLONG pIntAttrs, MQLONG CharAttrLength, PMQCHAR pCharAttrs, PMQLONG pCompCode,
                        PMQLONG pReason) {
  conn_t *c = verb_begin(Hconn, pCompCode, pReason);
  if (!c) return;
  MQLONG ints, chars;
  MQLONG bad = selectors_check(SelectorCount, pSelectors, IntAttrCount, CharAttrLength, &ints, &chars);
  if (!bad && IntAttrCount > 0 && !pIntAttrs) bad = MQRC_INT_ATTRS_ARRAY_ERROR;
  if (!bad && CharAttrLength > 0 && !pCharAttrs) bad = MQRC_CHAR_ATTRS_ERROR;
  if (bad) {
    fail(c, pCompCode, pReason, bad);
    return;
  }

  buf_t b = {0};
  req_begin(&b, OP_INQUIRE);
  buf_i32(&b, Hobj);
  buf_i32(&b, SelectorCount);
  for (MQLONG i = 0; i < SelectorCount; i++) buf_i32(&b, pSelectors[i]);
  pending_t p;
  request(c, &b, &p, pCompCode, pReason);
  if (p.cc != MQCC_FAILED) {
    /* Integers in selector order, characters concatenated blank-padded to each attribute's
     * length; what does not fit is left out with a warning, as MQ does. */
    rd_t r = results_of(&p);
    MQLONG int_i = 0, char_at = 0, short_reason = MQRC_NONE;
    for (MQLONG i = 0; i < SelectorCount; i++) {
      if (is_int_selector(pSelectors[i])) {
        MQLONG v = rd_i32(&r);
        if (int_i < IntAttrCount) pIntAttrs[int_i] = v;
        else short_reason = MQRC_INT_ATTR_COUNT_TOO_SMALL;
        int_i++;
      } else {
        size_t n;
        const unsigned char *s = rd_bytes(&r, &n);
        MQLONG len = char_attr_length(pSelectors[i]);
        MQLONG room = CharAttrLength - char_at;
        if (room >= len) {
          fixed_set(pCharAttrs + char_at, (size_t)len, s, n);
        } else {
          if (room > 0) fixed_set(pCharAttrs + char_at, (size_t)room, s, n);
          short_reason = MQRC_CHAR_ATTRS_TOO_SHORT;
        }
        char_at += len;
      }
    }
    if (r.bad) {
      *pCompCode = MQCC_FAILED;
      *pReason = MQRC_UNEXPECTED_ERROR;
    } else if (*pCompCode == MQCC_OK && short_reason) {
      *pCompCode = MQCC_WARNING;
      *pReason = short_reason;
    }
  }
  pending_free(&p);
  conn_release(c);
}

MQLIB_EXPORT void MQSET(MQHCONN Hconn, MQHOBJ Hobj, MQLONG SelectorCount, PMQLONG pSelectors, MQLONG IntAttrCount,
                        PMQLONG pIntAttrs, MQLONG CharAttrLength, PMQCHAR pCharAttrs, PMQLONG pCompCode,
                        PMQLONG pReason) {
  conn_t *c = verb_begin(Hconn, pCompCode, pReason);
  if (!c) return;
  MQLONG ints, chars;
  MQLONG bad = selectors_check(SelectorCount, pSelectors, IntAttrCount, CharAttrLength, &ints, &chars);
  if (!bad && IntAttrCount < ints) bad = MQRC_INT_ATTR_COUNT_ERROR;
  if (!bad && CharAttrLength < chars) bad = MQRC_CHAR_ATTR_LENGTH_ERROR;
  if (!bad && ints > 0 && !pIntAttrs) bad = MQRC_INT_ATTRS_ARRAY_ERROR;
  if (!bad && chars > 0 && !pCharAttrs) bad = MQRC_CHAR_ATTRS_ERROR;
  if (bad) {
    fail(c, pCompCode, pReason, bad);
    return;
  }

  buf_t b = {0};
  req_begin(&b, OP_SET);
  buf_i32(&b, Hobj);
  buf_i32(&b, SelectorCount);
  MQLONG int_i = 0, char_at = 0;
  for (MQLONG i = 0; i < SelectorCount; i++) {
    buf_i32(&b, pSelectors[i]);
    if (is_int_selector(pSelectors[i])) {
      buf_i32(&b, pIntAttrs[int_i++]);
    } else {
      MQLONG len = char_attr_length(pSelectors[i]);
      buf_fixed(&b, pCharAttrs + char_at, (size_t)len);
      char_at += len;
    }
  }
  pending_t p;
  request(c, &b, &p, pCompCode, pReason);
  pending_free(&p);
  conn_release(c);
}

/* ---- MQSUB / MQSUBRQ -------------------------------------------------------------------- */

MQLIB_EXPORT void MQSUB(MQHCONN Hconn, PMQVOID pSubDesc, PMQHOBJ pHobj, PMQHOBJ pHsub, PMQLONG pCompCode,
                        PMQLONG pReason) {
  conn_t *c = verb_begin(Hconn, pCompCode, pReason);
  if (!c) return;
  MQSD *sd = pSubDesc;
  const char *os = NULL, *sub = NULL;
  size_t os_n = 0, sub_n = 0;
  MQLONG bad = !sd || !has_strucid(sd, MQSD_STRUC_ID) || sd->Version != MQSD_VERSION_1 ? MQRC_SD_ERROR : MQRC_NONE;
  if (!bad && charv_in(sd, &sd->ObjectString, &os, &os_n) != 0) bad = MQRC_OBJECT_STRING_ERROR;
  if (!bad && charv_in(sd, &sd->SubName, &sub, &sub_n) != 0) bad = MQRC_SUB_NAME_ERROR;
  if (!bad && (!pHobj || !pHsub)) bad = MQRC_HOBJ_ERROR;
  if (bad) {
    fail(c, pCompCode, pReason, bad);
    return;
  }

  buf_t b = {0};
  req_begin(&b, OP_SUBSCRIBE);
  buf_i32(&b, sd->Options);
  buf_fixed(&b, sd->ObjectName, MQ_Q_NAME_LENGTH);
  buf_str(&b, os, os_n);
  buf_str(&b, sub, sub_n);
  /* With MQSO_MANAGED the binding passes MQHO_UNUSABLE_HOBJ: the server ignores it. */
  buf_i32(&b, *pHobj);
  pending_t p;
  request(c, &b, &p, pCompCode, pReason);
  if (p.cc != MQCC_FAILED) {
    rd_t r = results_of(&p);
    MQHOBJ hsub = rd_i32(&r);
    MQHOBJ hobj = rd_i32(&r);
    size_t n;
    const unsigned char *resolved = rd_bytes(&r, &n);
    *pHsub = hsub;
    pthread_mutex_lock(&c->mu);
    int known = objrec_find(c, hobj) != NULL;
    pthread_mutex_unlock(&c->mu);
    if (!known) objrec_add(c, hobj, "", 0, c->qmgr, fixed_len(c->qmgr, MQ_Q_MGR_NAME_LENGTH));
    *pHobj = hobj;
    charv_out(sd, &sd->ResObjectString, resolved, n);
  }
  pending_free(&p);
  conn_release(c);
}

MQLIB_EXPORT void MQSUBRQ(MQHCONN Hconn, MQHOBJ Hsub, MQLONG Action, PMQVOID pSubRqOpts, PMQLONG pCompCode,
                          PMQLONG pReason) {
  conn_t *c = verb_begin(Hconn, pCompCode, pReason);
  if (!c) return;
  MQSRO *sro = pSubRqOpts;
  MQLONG bad =
      !sro || !has_strucid(sro, MQSRO_STRUC_ID) || sro->Version != MQSRO_VERSION_1 ? MQRC_SRO_ERROR : MQRC_NONE;
  if (!bad && Action != MQSR_ACTION_PUBLICATION) bad = MQRC_ACTION_ERROR;
  if (bad) {
    fail(c, pCompCode, pReason, bad);
    return;
  }
  buf_t b = {0};
  req_begin(&b, OP_SUBSCRIPTION_REQUEST);
  buf_i32(&b, Hsub);
  buf_i32(&b, Action);
  pending_t p;
  request(c, &b, &p, pCompCode, pReason);
  if (p.cc != MQCC_FAILED) {
    rd_t r = results_of(&p);
    sro->NumPubs = rd_i32(&r);
  }
  pending_free(&p);
  conn_release(c);
}

/* ---- MQSTAT ----------------------------------------------------------------------------- */

/* No put is ever asynchronous here and the client never reconnects, so every status type
 * reports "nothing happened" (MQ-BEHAVIOUR §11). */
MQLIB_EXPORT void MQSTAT(MQHCONN Hconn, MQLONG Type, PMQVOID pStatus, PMQLONG pCompCode, PMQLONG pReason) {
  conn_t *c = verb_begin(Hconn, pCompCode, pReason);
  if (!c) return;
  pthread_mutex_lock(&c->mu);
  int broken = c->broken;
  pthread_mutex_unlock(&c->mu);
  MQSTS *sts = pStatus;
  MQLONG bad = broken ? MQRC_CONNECTION_BROKEN : MQRC_NONE;
  if (!bad && Type != MQSTAT_TYPE_ASYNC_ERROR && Type != MQSTAT_TYPE_RECONNECTION &&
      Type != MQSTAT_TYPE_RECONNECTION_ERROR)
    bad = MQRC_STAT_TYPE_ERROR;
  if (!bad &&
      (!sts || !has_strucid(sts, MQSTS_STRUC_ID) || sts->Version < MQSTS_VERSION_1 || sts->Version > MQSTS_VERSION_2))
    bad = MQRC_STS_ERROR;
  if (bad) {
    fail(c, pCompCode, pReason, bad);
    return;
  }
  sts->CompCode = MQCC_OK;
  sts->Reason = MQRC_NONE;
  sts->PutSuccessCount = sts->PutWarningCount = sts->PutFailureCount = 0;
  sts->ObjectType = MQOT_Q;
  fixed_set(sts->ObjectName, MQ_OBJECT_NAME_LENGTH, "", 0);
  fixed_set(sts->ObjectQMgrName, MQ_Q_MGR_NAME_LENGTH, "", 0);
  fixed_set(sts->ResolvedObjectName, MQ_OBJECT_NAME_LENGTH, "", 0);
  fixed_set(sts->ResolvedQMgrName, MQ_Q_MGR_NAME_LENGTH, "", 0);
  if (sts->Version >= MQSTS_VERSION_2) {
    sts->ObjectString.VSLength = 0;
    sts->SubName.VSLength = 0;
    sts->OpenOptions = 0;
    sts->SubOptions = 0;
  }
  conn_release(c);
}
