/* Asynchronous consumption: MQCB and MQCTL (MQ-BEHAVIOUR §10).
 *
 * A consumer is a GET request kept outstanding on the server for the registered object, with the
 * MQMD and MQGMO it was registered with. One dispatcher per connection, on a thread of the library
 * (or on START_WAIT's caller), sends those GETs, calls the callbacks one at a time, and reports
 * connection-wide failures (2009 when the socket closes) to the event handler or, when there is
 * none, to every consumer as an MQCBCT_EVENT_CALL, as IBM's client does.
 *
 * SUSPEND, STOP and DEREGISTER cancel the outstanding GET (CANCEL frame) and wait for its answer.
 * A message the cancelled GET had already taken is never dropped: it is held and delivered first
 * when consumption resumes, not before SUSPEND returns. The binding calls SUSPEND from inside each
 * callback, on the dispatcher thread, precisely so that no further callback runs until it has
 * handed the message to JavaScript; delivering inside SUSPEND would break that. STOP and
 * DEREGISTER are ends, not pauses: they deliver the held message before they complete. */
#include "mqlib.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

struct consumer {
  MQHOBJ hobj;
  MQCBD cbd;
  MQMD md;
  MQGMO gmo;
  int suspended;       /* MQCB SUSPEND, or a failure that needs the application (USER_ACTION) */
  long long retry_at;  /* temporarily suspended (is_temporary) until then, monotonic ms */
  MQLONG temporary;    /* the temporary reason it was told of, not repeated at each retry */
  pending_t *get;      /* the GET outstanding for it */
  int sending;         /* its GET is being written: a cancel must not overtake it */
  int cancelling;
  pending_t *held;     /* what a cancelled GET had taken, delivered first */
  int busy;            /* its callback is running */
  int dying;           /* deregistered: what it holds is delivered, then it goes */
  int waited;          /* a deregistering thread waits for it to go and frees it */
  int gone;
  MQHOBJ dereg_hobj;   /* the Hobj its DEREGISTER_CALL reports (MQHO_UNUSABLE_HOBJ after MQCLOSE) */
  unsigned round;      /* the last round of calls it had */
  consumer_t *next;
};

/* The connection whose callbacks this thread runs: such calls must not wait for themselves. */
static _Thread_local conn_t *dispatching;

static int on_callback_thread(conn_t *c) { return dispatching == c; }

#define RETRY_MS 1000

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int is_connection_wide(MQLONG rc) {
  return rc == MQRC_CONNECTION_BROKEN || rc == MQRC_Q_MGR_QUIESCING || rc == MQRC_Q_MGR_STOPPING ||
         rc == MQRC_CONNECTION_QUIESCING || rc == MQRC_CONNECTION_STOPPING || rc == MQRC_Q_MGR_NOT_AVAILABLE;
}

/* Reasons that may clear by themselves: the consumer tries again shortly, as the MQ client does
 * for a queue that is get-inhibited, rather than stopping for good. */
static int is_temporary(MQLONG rc) {
  return rc == MQRC_GET_INHIBITED || rc == MQRC_SYNCPOINT_LIMIT_REACHED || rc == MQRC_STORAGE_NOT_AVAILABLE ||
         rc == MQRC_RESOURCE_PROBLEM;
}

static void pending_drop(pending_t *p) {
  pending_free(p);
  free(p);
}

/* Whether a finished GET took a message off the queue (its results are there and it did not fail). */
static int took_message(const pending_t *p) { return p->payload && p->cc != MQCC_FAILED; }

/* ---- calling the application ----------------------------------------------------------- */

typedef struct {
  MQLONG call_type, cc, rc, state;
  MQMD *md;
  MQGMO *gmo;
  void *buffer;
  MQLONG data_length, buffer_length;
  MQHOBJ hobj;
} call_t;

/* Calls a callback; the caller does not hold c->mu. */
static void invoke(conn_t *c, const consumer_t *k, const call_t *call) {
  MQCB_FUNCTION *fn;
  memcpy(&fn, &k->cbd.CallbackFunction, sizeof fn);
  MQCBC cbc;
  memset(&cbc, 0, sizeof cbc);
  /* The shipped header has no MQCBC_DEFAULT. */
  memcpy(cbc.StrucId, MQCBC_STRUC_ID, 4);
  cbc.Version = MQCBC_VERSION_2;
  cbc.CallType = call->call_type;
  cbc.Hobj = call->hobj;
  cbc.CallbackArea = k->cbd.CallbackArea;
  cbc.ConnectionArea = c->connection_area;
  cbc.CompCode = call->cc;
  cbc.Reason = call->rc;
  cbc.State = call->state;
  cbc.DataLength = call->data_length;
  cbc.BufferLength = call->buffer_length;
  MQMD md = k->md;
  MQGMO gmo = k->gmo;
  fn(c->hconn, call->md ? call->md : &md, call->gmo ? call->gmo : &gmo, call->buffer, &cbc);
}

/* Runs a callback for a consumer; the caller holds c->mu, released meanwhile (the consumer is
 * busy until it returns). */
static void invoke_locked(conn_t *c, consumer_t *k, const call_t *call) {
  k->busy = 1;
  pthread_mutex_unlock(&c->mu);
  invoke(c, k, call);
  pthread_mutex_lock(&c->mu);
  k->busy = 0;
  pthread_cond_broadcast(&c->cb_cond);
}

static void control_call(conn_t *c, consumer_t *k, MQLONG call_type, MQHOBJ hobj) {
  call_t call = {call_type, MQCC_OK, MQRC_NONE, MQCS_NONE, NULL, NULL, NULL, 0, 0, hobj};
  invoke_locked(c, k, &call);
}

/* Delivers a finished GET that found a message (taken, or left on the queue with 2080). */
static void deliver_message(conn_t *c, consumer_t *k, pending_t *p) {
  get_result_t res;
  if (get_result(p, &res) != 0) {
    pending_drop(p);
    return;
  }
  MQMD md = res.md;
  MQGMO gmo = k->gmo;
  MQLONG cc = p->cc, rc = p->rc;
  objrec_t *o = objrec_find(c, k->hobj);
  MQLONG props = get_outputs(o ? o->qname : NULL, &gmo, &res, (MQLONG)res.data_n);
  if (props && cc == MQCC_OK) {
    cc = MQCC_WARNING;
    rc = props;
  }
  int not_removed = p->cc == MQCC_FAILED;
  k->temporary = MQRC_NONE;
  call_t call = {not_removed ? MQCBCT_MSG_NOT_REMOVED : MQCBCT_MSG_REMOVED,
                 cc,
                 rc,
                 not_removed ? MQCS_SUSPENDED_USER_ACTION : MQCS_NONE,
                 &md,
                 &gmo,
                 (void *)res.data,
                 res.data_length,
                 (MQLONG)res.data_n,
                 k->hobj};
  /* A message too big for the consumer stays on the queue: getting it again would only loop. */
  if (not_removed) k->suspended = 1;
  invoke_locked(c, k, &call);
  pending_drop(p);
}

/* A finished GET of a started consumer: its message, or what its failure means. */
static void handle_completed(conn_t *c, consumer_t *k) {
  pending_t *p = k->get;
  k->get = NULL;
  if (p->payload && (p->cc != MQCC_FAILED || p->rc == MQRC_TRUNCATED_MSG_FAILED)) {
    deliver_message(c, k, p);
    return;
  }
  MQLONG rc = p->rc;
  pending_drop(p);
  if (is_connection_wide(rc)) {
    if (!c->pending_event) c->pending_event = rc;
    return;
  }
  MQLONG state = MQCS_NONE;
  if (is_temporary(rc)) {
    k->retry_at = now_ms() + RETRY_MS;
    if (k->temporary == rc) return;
    k->temporary = rc;
    state = MQCS_SUSPENDED_TEMPORARY;
  } else if (rc != MQRC_NO_MSG_AVAILABLE) {
    k->suspended = 1;
    state = MQCS_SUSPENDED_USER_ACTION;
  }
  call_t call = {MQCBCT_EVENT_CALL, MQCC_FAILED, rc, state, NULL, NULL, NULL, 0, 0, k->hobj};
  invoke_locked(c, k, &call);
}

/* Cancels a consumer's outstanding GET and waits for its answer; a message it had taken is held.
 * The caller holds c->mu. */
static void cancel_get(conn_t *c, consumer_t *k) {
  if (!k->get) return;
  k->cancelling = 1;
  while (k->sending) pthread_cond_wait(&c->cb_cond, &c->mu);
  pending_t *p = k->get;
  if (!p->done) {
    uint32_t id = p->id;
    pthread_mutex_unlock(&c->mu);
    send_cancel(c, id);
    pthread_mutex_lock(&c->mu);
    while (!p->done) pthread_cond_wait(&c->cb_cond, &c->mu);
  }
  k->get = NULL;
  k->cancelling = 0;
  if (took_message(p)) k->held = p;
  else pending_drop(p);
}

/* Sends a GET for one consumer that needs one; returns whether it did (the list may then have
 * changed, as c->mu was released). */
static int issue_get(conn_t *c, long long now) {
  consumer_t *k = c->consumers;
  while (k && (k->dying || k->suspended || k->get || k->held || k->busy || k->retry_at > now)) k = k->next;
  if (!k) return 0;
  pending_t *p = malloc(sizeof *p);
  if (!p) return 0;
  pending_init(p, &c->cb_cond);
  MQGMO gmo = k->gmo;
  /* A consumer waits for messages without limit unless its MQGMO asks for a wait interval. */
  MQLONG wait = (gmo.Options & MQGMO_WAIT) ? gmo.WaitInterval : MQWI_UNLIMITED;
  gmo.Options |= MQGMO_WAIT;
  buf_t b = {0};
  get_request(&b, k->hobj, &k->md, &gmo, wait, k->cbd.MaxMsgLength);
  k->get = p;
  k->retry_at = 0;
  k->sending = 1;
  send_request_locked(c, &b, p);
  k->sending = 0;
  pthread_cond_broadcast(&c->cb_cond);
  buf_free(&b);
  return 1;
}

/* ---- the dispatcher -------------------------------------------------------------------- */

/* A consumer (or the event handler) that asked for `option` (0: any) and has not had this
 * round's call yet. */
static consumer_t *next_in_round(conn_t *c, MQLONG option) {
  consumer_t *h = c->event_handler;
  if (h && !h->dying && h->round != c->round && (!option || (h->cbd.Options & option))) return h;
  for (consumer_t *k = c->consumers; k; k = k->next)
    if (!k->dying && k->round != c->round && (!option || (k->cbd.Options & option))) return k;
  return NULL;
}

/* Calls every consumer that asked for START_CALL or STOP_CALL. */
static void control_round(conn_t *c, MQLONG call_type, MQLONG option) {
  c->round++;
  consumer_t *k;
  while ((k = next_in_round(c, option))) {
    k->round = c->round;
    control_call(c, k, call_type, k->hobj);
  }
}

/* Reports a connection-wide reason once: to the event handler, or to every consumer. */
static void connection_event(conn_t *c, MQLONG rc) {
  c->event_reason = rc;
  c->round++;
  call_t call = {MQCBCT_EVENT_CALL, MQCC_FAILED, rc, MQCS_STOPPED, NULL, NULL, NULL, 0, 0, MQHO_NONE};
  if (c->event_handler) {
    c->event_handler->round = c->round;
    invoke_locked(c, c->event_handler, &call);
    return;
  }
  consumer_t *k;
  while ((k = next_in_round(c, 0))) {
    k->round = c->round;
    call.hobj = k->hobj;
    invoke_locked(c, k, &call);
  }
}

/* Delivers what a consumer holds, if anything. */
static void deliver_held(conn_t *c, consumer_t *k) {
  pending_t *p = k->held;
  if (!p) return;
  k->held = NULL;
  deliver_message(c, k, p);
}

static void unlink_consumer(conn_t *c, consumer_t *k) {
  consumer_t **pp = &c->consumers;
  while (*pp && *pp != k) pp = &(*pp)->next;
  if (*pp) *pp = k->next;
  if (c->event_handler == k) c->event_handler = NULL;
}

/* The end of a deregistered consumer: its held message, its DEREGISTER_CALL, then it goes. */
static void finish_dying(conn_t *c, consumer_t *k) {
  deliver_held(c, k);
  if (k->cbd.Options & MQCBDO_DEREGISTER_CALL) control_call(c, k, MQCBCT_DEREGISTER_CALL, k->dereg_hobj);
  unlink_consumer(c, k);
  k->gone = 1;
  if (!k->waited) free(k);
  pthread_cond_broadcast(&c->cb_cond);
}

/* The first consumer, or the event handler, that `want`s attention. */
static consumer_t *find(conn_t *c, int (*want)(const conn_t *, const consumer_t *)) {
  if (c->event_handler && want(c, c->event_handler)) return c->event_handler;
  consumer_t *k = c->consumers;
  while (k && !want(c, k)) k = k->next;
  return k;
}

static int want_dying(const conn_t *c, const consumer_t *k) {
  (void)c;
  return k->dying && !k->busy;
}

/* Held messages and finished GETs are delivered while started, and once the connection broke
 * (a message taken before the break is still the application's). */
static int want_held(const conn_t *c, const consumer_t *k) {
  return k->held && !k->dying && !k->busy && (c->ctl == CTL_STARTED || c->broken);
}

static int want_completed(const conn_t *c, const consumer_t *k) {
  return k->get && k->get->done && !k->cancelling && !k->dying && !k->busy && (c->ctl == CTL_STARTED || c->broken);
}

static int any_active(const conn_t *c, const consumer_t *k) {
  return k != c->event_handler && !k->dying && !k->suspended;
}

static int want_cancel(const conn_t *c, const consumer_t *k) {
  (void)c;
  return k->get && !k->cancelling;
}

static int holding(const conn_t *c, const consumer_t *k) {
  (void)c;
  return k->held && !k->busy;
}

/* The earliest time a consumer waiting to retry may get again (0: none waits). */
static long long next_retry(conn_t *c) {
  long long t = 0;
  for (consumer_t *k = c->consumers; k; k = k->next)
    if (!k->dying && !k->suspended && !k->get && k->retry_at && (!t || k->retry_at < t)) t = k->retry_at;
  return t;
}

static void wait_for_work(conn_t *c) {
  long long t = c->ctl == CTL_STARTED ? next_retry(c) : 0;
  if (!t) {
    pthread_cond_wait(&c->cb_cond, &c->mu);
    return;
  }
  struct timespec ts = {(time_t)(t / 1000), (long)(t % 1000) * 1000000};
  pthread_cond_timedwait(&c->cb_cond, &c->mu, &ts);
}

/* What STOP leaves to do: cancel every GET, deliver what they took, the STOP_CALLs, and the end
 * of consumers deregistered meanwhile (a deregistering thread may be waiting for it). */
static void stop_consumption(conn_t *c) {
  consumer_t *k;
  while ((k = find(c, want_cancel))) cancel_get(c, k);
  while ((k = find(c, holding))) deliver_held(c, k);
  control_round(c, MQCBCT_STOP_CALL, MQCBDO_STOP_CALL);
  while ((k = find(c, want_dying))) finish_dying(c, k);
}

/* The dispatcher loop; the caller holds c->mu. `start_wait`: run on MQCTL(START_WAIT)'s caller,
 * which returns when consumption is suspended or no consumer is active (an implicit STOP). */
static void dispatch(conn_t *c, int start_wait) {
  conn_t *outer = dispatching;
  dispatching = c;
  control_round(c, MQCBCT_START_CALL, MQCBDO_START_CALL);
  for (;;) {
    consumer_t *k;
    if ((k = find(c, want_dying))) {
      finish_dying(c, k);
      continue;
    }
    if (start_wait && (c->ctl == CTL_SUSPENDED || !find(c, any_active))) c->ctl = CTL_STOPPED;
    if (c->ctl == CTL_STOPPED) break;
    if ((k = find(c, want_held))) {
      deliver_held(c, k);
      continue;
    }
    if ((k = find(c, want_completed))) {
      handle_completed(c, k);
      continue;
    }
    MQLONG event = c->broken ? MQRC_CONNECTION_BROKEN : c->pending_event;
    if (event && c->event_reason != event) {
      connection_event(c, event);
      continue;
    }
    if (c->ctl == CTL_STARTED && !c->event_reason && !c->broken && issue_get(c, now_ms())) continue;
    wait_for_work(c);
  }
  stop_consumption(c);
  c->dispatcher_alive = 0;
  pthread_cond_broadcast(&c->cb_cond);
  dispatching = outer;
}

static void *dispatcher_main(void *arg) {
  conn_t *c = arg;
  pthread_mutex_lock(&c->mu);
  dispatch(c, 0);
  pthread_mutex_unlock(&c->mu);
  conn_release(c);
  return NULL;
}

/* Whether a callback runs: of `only`, or of any consumer (NULL). */
static int busy(const conn_t *c, const consumer_t *only) {
  const consumer_t *h = c->event_handler;
  if (h && h->busy && (!only || only == h)) return 1;
  for (const consumer_t *k = c->consumers; k; k = k->next)
    if (k->busy && (!only || k == only)) return 1;
  return 0;
}

/* Waits until no callback runs (unless called from one: it cannot wait for itself). */
static void wait_not_busy(conn_t *c, const consumer_t *only) {
  if (on_callback_thread(c)) return;
  while (busy(c, only)) pthread_cond_wait(&c->cb_cond, &c->mu);
}

/* Waits for the dispatcher to end (unless this is it). */
static void wait_dispatcher_gone(conn_t *c) {
  while (c->dispatcher_alive && !on_callback_thread(c)) pthread_cond_wait(&c->cb_cond, &c->mu);
}

/* Deregisters a consumer (or the event handler); the caller holds c->mu. */
static void deregister(conn_t *c, consumer_t *k, MQHOBJ reported) {
  wait_not_busy(c, k);
  cancel_get(c, k);
  k->dying = 1;
  k->dereg_hobj = reported;
  if (on_callback_thread(c)) {
    /* From inside a callback: the dispatcher finishes it once the callback returns. */
    pthread_cond_broadcast(&c->cb_cond);
  } else if (c->dispatcher_alive) {
    /* The dispatcher delivers what it holds and its DEREGISTER_CALL, on its own thread. */
    k->waited = 1;
    pthread_cond_broadcast(&c->cb_cond);
    while (!k->gone) pthread_cond_wait(&c->cb_cond, &c->mu);
    free(k);
  } else {
    /* No dispatcher (and so nothing held: STOP delivered it): its DEREGISTER_CALL comes on this
     * thread. */
    finish_dying(c, k);
  }
}

static consumer_t *consumer_of(conn_t *c, MQHOBJ hobj) {
  consumer_t *k = c->consumers;
  while (k && (k->hobj != hobj || k->dying)) k = k->next;
  return k;
}

/* ---- called by the other verbs --------------------------------------------------------- */

void consumers_object_closed(conn_t *c, MQHOBJ hobj) {
  pthread_mutex_lock(&c->mu);
  consumer_t *k = consumer_of(c, hobj);
  if (k) deregister(c, k, MQHO_UNUSABLE_HOBJ);
  pthread_mutex_unlock(&c->mu);
}

void consumers_disconnect(conn_t *c) {
  pthread_mutex_lock(&c->mu);
  c->ctl = CTL_STOPPED;
  pthread_cond_broadcast(&c->cb_cond);
  if (on_callback_thread(c)) {
    /* MQDISC from a callback: the dispatcher deregisters everything once the callback returns. */
    for (consumer_t *k = c->consumers; k; k = k->next) k->dying = 1;
    if (c->event_handler) c->event_handler->dying = 1;
  } else {
    wait_dispatcher_gone(c);
    while (c->consumers) deregister(c, c->consumers, c->consumers->hobj);
    if (c->event_handler) deregister(c, c->event_handler, MQHO_NONE);
  }
  pthread_mutex_unlock(&c->mu);
}

void consumers_connection_broken(conn_t *c) { pthread_cond_broadcast(&c->cb_cond); }

/* ---- MQCB ------------------------------------------------------------------------------ */

#define CBDO_KNOWN                                                                                          \
  (MQCBDO_START_CALL | MQCBDO_STOP_CALL | MQCBDO_REGISTER_CALL | MQCBDO_DEREGISTER_CALL |                   \
   MQCBDO_FAIL_IF_QUIESCING | MQCBDO_EVENT_CALL | MQCBDO_MC_EVENT_CALL)

static MQLONG cbd_check(const MQCBD *cbd) {
  if (!cbd || !has_strucid(cbd, MQCBD_STRUC_ID) || cbd->Version != MQCBD_VERSION_1) return MQRC_CBD_ERROR;
  if (cbd->CallbackType != MQCBT_MESSAGE_CONSUMER && cbd->CallbackType != MQCBT_EVENT_HANDLER)
    return MQRC_CALLBACK_TYPE_ERROR;
  if (cbd->Options & ~CBDO_KNOWN) return MQRC_CBD_OPTIONS_ERROR;
  if (cbd->MaxMsgLength < MQCBD_FULL_MSG_LENGTH) return MQRC_MAX_MSG_LENGTH_ERROR;
  /* Only a function pointer: CallbackName (a function loaded by name) is not supported. */
  if (!cbd->CallbackFunction) return MQRC_CALLBACK_ROUTINE_ERROR;
  return MQRC_NONE;
}

static MQLONG cb_register(conn_t *c, MQLONG operation, const MQCBD *cbd, MQHOBJ hobj, const void *app_md,
                          const MQGMO *gmo_in) {
  MQLONG bad = cbd_check(cbd);
  if (bad) return bad;
  consumer_t *k = NULL;
  MQMD md = {MQMD_DEFAULT};
  MQGMO gmo = {MQGMO_DEFAULT};
  if (cbd->CallbackType == MQCBT_MESSAGE_CONSUMER) {
    if (!objrec_find(c, hobj)) return MQRC_HOBJ_ERROR;
    if (app_md && (bad = md_in(app_md, &md))) return bad;
    if (gmo_in && (bad = gmo_check(gmo_in))) return bad;
    static const size_t gmo_length[] = {0, MQGMO_LENGTH_1, MQGMO_LENGTH_2, MQGMO_LENGTH_3, MQGMO_LENGTH_4};
    if (gmo_in) memcpy(&gmo, gmo_in, gmo_length[gmo_in->Version]);
    else gmo.Version = MQGMO_CURRENT_VERSION; /* so the callback is told ReturnedLength */
    k = consumer_of(c, hobj);
  } else {
    hobj = MQHO_NONE;
    k = c->event_handler;
  }
  if (k) {
    /* Registering again replaces the callback; a message already held stays for it. */
    wait_not_busy(c, k);
    cancel_get(c, k);
  } else {
    k = calloc(1, sizeof *k);
    if (!k) return MQRC_STORAGE_NOT_AVAILABLE;
    k->hobj = hobj;
    if (cbd->CallbackType == MQCBT_EVENT_HANDLER) {
      c->event_handler = k;
    } else {
      consumer_t **pp = &c->consumers;
      while (*pp) pp = &(*pp)->next;
      *pp = k;
    }
  }
  k->cbd = *cbd;
  k->md = md;
  k->gmo = gmo;
  k->suspended = (operation & MQOP_SUSPEND) != 0;
  k->retry_at = 0;
  pthread_cond_broadcast(&c->cb_cond);
  if (cbd->Options & MQCBDO_REGISTER_CALL) control_call(c, k, MQCBCT_REGISTER_CALL, hobj);
  return MQRC_NONE;
}

MQLIB_EXPORT void MQCB(MQHCONN Hconn, MQLONG Operation, PMQVOID pCallbackDesc, MQHOBJ Hobj, PMQVOID pMsgDesc,
                       PMQVOID pGetMsgOpts, PMQLONG pCompCode, PMQLONG pReason) {
  conn_t *c = verb_begin(Hconn, pCompCode, pReason);
  if (!c) return;
  MQLONG rc = MQRC_NONE;
  const MQCBD *cbd = pCallbackDesc;
  pthread_mutex_lock(&c->mu);
  if (c->broken) {
    rc = MQRC_CONNECTION_BROKEN;
  } else if ((Operation & ~(MQOP_SUSPEND | MQOP_RESUME)) == MQOP_REGISTER &&
             (Operation & (MQOP_SUSPEND | MQOP_RESUME)) != (MQOP_SUSPEND | MQOP_RESUME)) {
    rc = cb_register(c, Operation, cbd, Hobj, pMsgDesc, pGetMsgOpts);
  } else if (Operation == MQOP_DEREGISTER || Operation == MQOP_SUSPEND || Operation == MQOP_RESUME) {
    int handler = cbd && has_strucid(cbd, MQCBD_STRUC_ID) && cbd->CallbackType == MQCBT_EVENT_HANDLER;
    consumer_t *k = handler ? c->event_handler : consumer_of(c, Hobj);
    if (!k) {
      rc = MQRC_CALLBACK_NOT_REGISTERED;
    } else if (Operation == MQOP_DEREGISTER) {
      deregister(c, k, k->hobj);
    } else if (Operation == MQOP_SUSPEND) {
      k->suspended = 1;
      wait_not_busy(c, k);
      cancel_get(c, k);
    } else {
      k->suspended = 0;
      k->retry_at = 0;
      pthread_cond_broadcast(&c->cb_cond);
    }
  } else {
    rc = MQRC_OPERATION_ERROR;
  }
  pthread_mutex_unlock(&c->mu);
  *pCompCode = rc ? MQCC_FAILED : MQCC_OK;
  *pReason = rc;
  conn_release(c);
}

/* ---- MQCTL ----------------------------------------------------------------------------- */

static MQLONG ctl_start(conn_t *c, const MQCTLO *ctlo, int wait) {
  if (c->ctl != CTL_STOPPED) return MQRC_OPERATION_NOT_ALLOWED;
  if (c->dispatcher_alive) {
    if (on_callback_thread(c)) {
      /* STOP then START inside one callback: the running dispatcher carries on. */
      c->ctl = CTL_STARTED;
      return MQRC_NONE;
    }
    /* A dispatcher stopped from its own callback is still winding down. */
    wait_dispatcher_gone(c);
    if (c->ctl != CTL_STOPPED) return MQRC_OPERATION_NOT_ALLOWED;
  }
  c->ctl = CTL_STARTED;
  c->connection_area = ctlo->ConnectionArea;
  c->dispatcher_alive = 1;
  if (wait) {
    dispatch(c, 1);
    return MQRC_NONE;
  }
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_t thread;
  conn_retain(c);
  int r = pthread_create(&thread, &attr, dispatcher_main, c);
  pthread_attr_destroy(&attr);
  if (r != 0) {
    conn_release(c);
    c->ctl = CTL_STOPPED;
    c->dispatcher_alive = 0;
    return MQRC_RESOURCE_PROBLEM;
  }
  return MQRC_NONE;
}

MQLIB_EXPORT void MQCTL(MQHCONN Hconn, MQLONG Operation, PMQVOID pControlOpts, PMQLONG pCompCode, PMQLONG pReason) {
  conn_t *c = verb_begin(Hconn, pCompCode, pReason);
  if (!c) return;
  const MQCTLO *ctlo = pControlOpts;
  MQLONG rc = MQRC_NONE;
  pthread_mutex_lock(&c->mu);
  if (!ctlo || !has_strucid(ctlo, MQCTLO_STRUC_ID)) {
    rc = MQRC_CTLO_ERROR;
  } else if (c->broken) {
    rc = MQRC_CONNECTION_BROKEN;
  } else if (Operation == MQOP_START || Operation == MQOP_START_WAIT) {
    rc = ctl_start(c, ctlo, Operation == MQOP_START_WAIT);
  } else if (Operation == MQOP_STOP) {
    c->ctl = CTL_STOPPED;
    pthread_cond_broadcast(&c->cb_cond);
    wait_dispatcher_gone(c);
  } else if (Operation == MQOP_SUSPEND) {
    if (c->ctl == CTL_STOPPED) {
      rc = MQRC_OPERATION_NOT_ALLOWED;
    } else {
      c->ctl = CTL_SUSPENDED;
      wait_not_busy(c, NULL);
      consumer_t *k;
      while ((k = find(c, want_cancel))) cancel_get(c, k);
    }
  } else if (Operation == MQOP_RESUME) {
    if (c->ctl == CTL_STOPPED) {
      rc = MQRC_OPERATION_NOT_ALLOWED;
    } else {
      c->ctl = CTL_STARTED;
      pthread_cond_broadcast(&c->cb_cond);
    }
  } else {
    rc = MQRC_OPERATION_ERROR;
  }
  pthread_mutex_unlock(&c->mu);
  *pCompCode = rc ? MQCC_FAILED : MQCC_OK;
  *pReason = rc;
  conn_release(c);
}
