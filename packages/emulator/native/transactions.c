/* Units of work: MQBEGIN, MQCMIT and MQBACK go to the server as they are (a client MQBEGIN is
 * answered 2012 there, MQ-BEHAVIOUR §5). */
#include "mqlib.h"

static void unit_of_work_call(MQHCONN hconn, uint16_t op, PMQLONG cc, PMQLONG rc) {
  conn_t *c = verb_begin(hconn, cc, rc);
  if (!c) return;
  buf_t b = {0};
  req_begin(&b, op);
  pending_t p;
  request(c, &b, &p, cc, rc);
  pending_free(&p);
  conn_release(c);
}

MQLIB_EXPORT void MQBEGIN(MQHCONN Hconn, PMQVOID pBeginOptions, PMQLONG pCompCode, PMQLONG pReason) {
  /* The ibmmq binding (2.1.9, src/mqtran.cc) calls MQBEGIN(Hconn, &CC, &RC) without the options:
   * its CompCode arrives as pBeginOptions and its Reason, 4 bytes further on, as pCompCode, and
   * pReason is whatever was in the register. A real MQBO cannot have the CompCode inside it, so
   * that layout is the binding's call; answering through its own two pointers keeps it alive. */
  if (pBeginOptions && (char *)pCompCode == (char *)pBeginOptions + sizeof(MQLONG)) {
    unit_of_work_call(Hconn, OP_BEGIN, pBeginOptions, pCompCode);
    return;
  }
  if (pBeginOptions && !has_strucid(pBeginOptions, MQBO_STRUC_ID)) {
    *pCompCode = MQCC_FAILED;
    *pReason = MQRC_BO_ERROR;
    return;
  }
  unit_of_work_call(Hconn, OP_BEGIN, pCompCode, pReason);
}

MQLIB_EXPORT void MQCMIT(MQHCONN Hconn, PMQLONG pCompCode, PMQLONG pReason) {
  unit_of_work_call(Hconn, OP_COMMIT, pCompCode, pReason);
}

MQLIB_EXPORT void MQBACK(MQHCONN Hconn, PMQLONG pCompCode, PMQLONG pReason) {
  unit_of_work_call(Hconn, OP_BACKOUT, pCompCode, pReason);
}
