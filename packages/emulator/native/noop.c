/* A libmqm_r.so that does nothing: every verb succeeds at once (MQGET finds no message). It is
 * the benchmark's ceiling, what the ibmmq binding costs by itself. */
#include <stddef.h>

#include <cmqc.h>

#define EXPORT __attribute__((visibility("default")))

/* The verbs ignore what they are given: that is the point. */
#pragma GCC diagnostic ignored "-Wunused-parameter"

static void ok(PMQLONG cc, PMQLONG rc) {
  *cc = MQCC_OK;
  *rc = MQRC_NONE;
}

EXPORT void MQCONNX(PMQCHAR name, PMQCNO cno, PMQHCONN hconn, PMQLONG cc, PMQLONG rc) {
  *hconn = 1;
  ok(cc, rc);
}

EXPORT void MQCONN(PMQCHAR name, PMQHCONN hconn, PMQLONG cc, PMQLONG rc) { MQCONNX(name, NULL, hconn, cc, rc); }

EXPORT void MQDISC(PMQHCONN hconn, PMQLONG cc, PMQLONG rc) {
  *hconn = MQHC_UNUSABLE_HCONN;
  ok(cc, rc);
}

EXPORT void MQOPEN(MQHCONN hconn, PMQVOID od, MQLONG options, PMQHOBJ hobj, PMQLONG cc, PMQLONG rc) {
  *hobj = 1;
  ok(cc, rc);
}

EXPORT void MQCLOSE(MQHCONN hconn, PMQHOBJ hobj, MQLONG options, PMQLONG cc, PMQLONG rc) {
  *hobj = MQHO_UNUSABLE_HOBJ;
  ok(cc, rc);
}

EXPORT void MQPUT(MQHCONN hconn, MQHOBJ hobj, PMQVOID md, PMQVOID pmo, MQLONG length, PMQVOID buffer, PMQLONG cc,
                  PMQLONG rc) {
  ok(cc, rc);
}

EXPORT void MQPUT1(MQHCONN hconn, PMQVOID od, PMQVOID md, PMQVOID pmo, MQLONG length, PMQVOID buffer, PMQLONG cc,
                   PMQLONG rc) {
  ok(cc, rc);
}

EXPORT void MQGET(MQHCONN hconn, MQHOBJ hobj, PMQVOID md, PMQVOID gmo, MQLONG length, PMQVOID buffer,
                  PMQLONG data_length, PMQLONG cc, PMQLONG rc) {
  *data_length = 0;
  *cc = MQCC_FAILED;
  *rc = MQRC_NO_MSG_AVAILABLE;
}

EXPORT void MQBEGIN(MQHCONN hconn, PMQVOID bo, PMQLONG cc, PMQLONG rc) { ok(cc, rc); }
EXPORT void MQCMIT(MQHCONN hconn, PMQLONG cc, PMQLONG rc) { ok(cc, rc); }
EXPORT void MQBACK(MQHCONN hconn, PMQLONG cc, PMQLONG rc) { ok(cc, rc); }

EXPORT void MQINQ(MQHCONN hconn, MQHOBJ hobj, MQLONG count, PMQLONG selectors, MQLONG int_count, PMQLONG ints,
                  MQLONG char_length, PMQCHAR chars, PMQLONG cc, PMQLONG rc) {
  ok(cc, rc);
}

EXPORT void MQSET(MQHCONN hconn, MQHOBJ hobj, MQLONG count, PMQLONG selectors, MQLONG int_count, PMQLONG ints,
                  MQLONG char_length, PMQCHAR chars, PMQLONG cc, PMQLONG rc) {
  ok(cc, rc);
}

EXPORT void MQSUB(MQHCONN hconn, PMQVOID sd, PMQHOBJ hobj, PMQHOBJ hsub, PMQLONG cc, PMQLONG rc) {
  *hobj = 1;
  *hsub = 2;
  ok(cc, rc);
}

EXPORT void MQSUBRQ(MQHCONN hconn, MQHOBJ hsub, MQLONG action, PMQVOID sro, PMQLONG cc, PMQLONG rc) { ok(cc, rc); }
EXPORT void MQSTAT(MQHCONN hconn, MQLONG type, PMQVOID sts, PMQLONG cc, PMQLONG rc) { ok(cc, rc); }

EXPORT void MQCB(MQHCONN hconn, MQLONG operation, PMQVOID cbd, MQHOBJ hobj, PMQVOID md, PMQVOID gmo, PMQLONG cc,
                 PMQLONG rc) {
  ok(cc, rc);
}

EXPORT void MQCTL(MQHCONN hconn, MQLONG operation, PMQVOID ctlo, PMQLONG cc, PMQLONG rc) { ok(cc, rc); }

EXPORT void MQCRTMH(MQHCONN hconn, PMQVOID cmho, PMQHMSG hmsg, PMQLONG cc, PMQLONG rc) {
  *hmsg = 1;
  ok(cc, rc);
}

EXPORT void MQDLTMH(MQHCONN hconn, PMQHMSG hmsg, PMQVOID dmho, PMQLONG cc, PMQLONG rc) {
  *hmsg = MQHM_UNUSABLE_HMSG;
  ok(cc, rc);
}

EXPORT void MQSETMP(MQHCONN hconn, MQHMSG hmsg, PMQVOID smpo, PMQVOID name, PMQVOID pd, MQLONG type, MQLONG length,
                    PMQVOID value, PMQLONG cc, PMQLONG rc) {
  ok(cc, rc);
}

EXPORT void MQINQMP(MQHCONN hconn, MQHMSG hmsg, PMQVOID impo, PMQVOID name, PMQVOID pd, PMQLONG type, MQLONG length,
                    PMQVOID value, PMQLONG data_length, PMQLONG cc, PMQLONG rc) {
  *cc = MQCC_FAILED;
  *rc = MQRC_PROPERTY_NOT_AVAILABLE;
}

EXPORT void MQDLTMP(MQHCONN hconn, MQHMSG hmsg, PMQVOID dmpo, PMQVOID name, PMQLONG cc, PMQLONG rc) { ok(cc, rc); }
