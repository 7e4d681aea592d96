// rdkperf: a small librdkafka load generator for bench/run.ts (no consumer groups: partitions are assigned directly).
//   rdkperf produce -b HOST:PORT -t TOPIC -n COUNT -s SIZE [-a ACKS] [-r MSGS_PER_SEC] [-X key=value ...]
//   rdkperf consume -b HOST:PORT -t TOPIC -p PARTITIONS -n COUNT [-X key=value ...]
//   rdkperf latency -b HOST:PORT -t TOPIC -p PARTITIONS -s SIZE -r MSGS_PER_SEC -d SECONDS [-a ACKS] [-X ...]
//   rdkperf probe   -b HOST:PORT -t TOPIC       (produce one record; exit 0 once it is acknowledged)
//   rdkperf create  -b HOST:PORT -t TOPIC[,TOPIC...] -p PARTITIONS   (CreateTopics, replication factor 1)
// Each mode prints one JSON object on stdout.
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *brokers = "127.0.0.1:9092", *topic = "bench", *acks = "1";
static long count = 100000, size = 1024, partitions = 6, rate = 0, seconds = 10;
static const char *extra[64];
static int nextra = 0;
static long delivered = 0, failed = 0;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}
static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}
static void die(const char *what, const char *err) {
  fprintf(stderr, "rdkperf: %s: %s\n", what, err);
  exit(2);
}
static void set(rd_kafka_conf_t *conf, const char *k, const char *v) {
  char err[512];
  if (rd_kafka_conf_set(conf, k, v, err, sizeof err) != RD_KAFKA_CONF_OK) die(k, err);
}
static rd_kafka_conf_t *base_conf(void) {
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  set(conf, "bootstrap.servers", brokers);
  set(conf, "log_level", "3");
  return conf;
}
static void apply_extra(rd_kafka_conf_t *conf) {
  for (int i = 0; i < nextra; i++) {
    char kv[512];
    snprintf(kv, sizeof kv, "%s", extra[i]);
    char *eq = strchr(kv, '=');
    if (!eq) die("-X", kv);
    *eq = 0;
    set(conf, kv, eq + 1);
  }
}
static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
  (void)rk;
  (void)opaque;
  if (m->err) {
    if (failed++ == 0) fprintf(stderr, "rdkperf: delivery failed: %s\n", rd_kafka_err2str(m->err));
  } else
    delivered++;
}
static rd_kafka_t *producer(int linger_ms) {
  rd_kafka_conf_t *conf = base_conf();
  char l[32];
  set(conf, "acks", acks);
  if (linger_ms >= 0) {
    snprintf(l, sizeof l, "%d", linger_ms);
    set(conf, "linger.ms", l);
  }
  set(conf, "enable.idempotence", "false");
  rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
  apply_extra(conf);
  char err[512];
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) die("producer", err);
  return rk;
}
static void produce_one(rd_kafka_t *rk, rd_kafka_topic_t *rkt, void *buf, size_t len, int flags) {
  for (;;) {
    if (rd_kafka_produce(rkt, RD_KAFKA_PARTITION_UA, flags, buf, len, NULL, 0, NULL) == 0) return;
    if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL) die("produce", rd_kafka_err2str(rd_kafka_last_error()));
    rd_kafka_poll(rk, 1);
  }
}

static int cmd_produce(void) {
  rd_kafka_t *rk = producer(-1);
  rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
  char *payload = malloc(size);
  for (long i = 0; i < size; i++) payload[i] = 'a' + (char)(i % 26);
  double t0 = now_s();
  for (long i = 0; i < count; i++) {
    if (rate > 0) {
      double due = t0 + (double)i / rate;
      while (now_s() < due) rd_kafka_poll(rk, 0), usleep(50);
    }
    produce_one(rk, rkt, payload, size, 0);
    if ((i & 1023) == 0) rd_kafka_poll(rk, 0);
  }
  while (rd_kafka_outq_len(rk) > 0) rd_kafka_poll(rk, 10);
  double dt = now_s() - t0;
  printf("{\"records\":%ld,\"failed\":%ld,\"bytes\":%ld,\"seconds\":%.4f,\"recordsPerSec\":%.1f,\"mbPerSec\":%.3f}\n",
         delivered, failed, delivered * size, dt, delivered / dt, delivered * size / dt / 1048576.0);
  rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(rk);
  return failed ? 1 : 0;
}

static rd_kafka_t *consumer(rd_kafka_queue_t **q, rd_kafka_topic_t **rkt, int64_t start) {
  rd_kafka_conf_t *conf = base_conf();
  apply_extra(conf);
  char err[512];
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (!rk) die("consumer", err);
  rd_kafka_topic_conf_t *tconf = rd_kafka_topic_conf_new();
  if (rd_kafka_topic_conf_set(tconf, "auto.commit.enable", "false", err, sizeof err) != RD_KAFKA_CONF_OK)
    die("topic conf", err);
  *rkt = rd_kafka_topic_new(rk, topic, tconf);
  *q = rd_kafka_queue_new(rk);
  for (int p = 0; p < partitions; p++)
    if (rd_kafka_consume_start_queue(*rkt, p, start, *q) == -1)
      die("consume_start", rd_kafka_err2str(rd_kafka_last_error()));
  return rk;
}
static void consumer_close(rd_kafka_t *rk, rd_kafka_queue_t *q, rd_kafka_topic_t *rkt) {
  for (int p = 0; p < partitions; p++) rd_kafka_consume_stop(rkt, p);
  rd_kafka_queue_destroy(q);
  rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(rk);
}

static int cmd_consume(void) {
  rd_kafka_queue_t *q;
  rd_kafka_topic_t *rkt;
  rd_kafka_t *rk = consumer(&q, &rkt, RD_KAFKA_OFFSET_BEGINNING);
  rd_kafka_message_t *msgs[4096];
  long n = 0, bytes = 0;
  double t0 = now_s(), first = 0, last = t0;
  while (n < count && now_s() - last < 30) {
    ssize_t got = rd_kafka_consume_batch_queue(q, 100, msgs, 4096);
    for (ssize_t i = 0; i < got; i++) {
      if (!msgs[i]->err) {
        if (n == 0) first = now_s();
        n++;
        bytes += msgs[i]->len;
        last = now_s();
      } else if (msgs[i]->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
        fprintf(stderr, "rdkperf: consume: %s\n", rd_kafka_message_errstr(msgs[i]));
      rd_kafka_message_destroy(msgs[i]);
    }
  }
  double dt = last - t0;
  // mbPerSec counts from the start (client set-up, metadata and the first fetch included); streamMbPerSec from the
  // first record to the last, the broker's delivery rate once data flows.
  double stream = first && last > first ? last - first : dt;
  printf("{\"records\":%ld,\"bytes\":%ld,\"seconds\":%.4f,\"firstRecordAfter\":%.4f,\"recordsPerSec\":%.1f,"
         "\"mbPerSec\":%.3f,\"streamMbPerSec\":%.3f}\n",
         n, bytes, dt, first ? first - t0 : -1, n / dt, bytes / dt / 1048576.0, bytes / stream / 1048576.0);
  consumer_close(rk, q, rkt);
  return n < count ? 1 : 0;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}
struct lat_producer {
  rd_kafka_t *rk;
  rd_kafka_topic_t *rkt;
  long total, sent;
  volatile int stop;
};
static void *lat_produce(void *arg) {
  struct lat_producer *lp = arg;
  char *payload = malloc(size);
  memset(payload, 'x', size);
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  int64_t start = (int64_t)t0.tv_sec * 1000000000LL + t0.tv_nsec;
  int64_t gap = 1000000000LL / rate;
  for (long i = 0; i < lp->total && !lp->stop; i++) {
    int64_t due = start + i * gap;
    struct timespec ts = {.tv_sec = due / 1000000000LL, .tv_nsec = due % 1000000000LL};
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
    int64_t ns = now_ns();
    memcpy(payload, &ns, sizeof ns);
    produce_one(lp->rk, lp->rkt, payload, size, RD_KAFKA_MSG_F_COPY);
    lp->sent++;
    rd_kafka_poll(lp->rk, 0);
  }
  rd_kafka_flush(lp->rk, 10000);
  return NULL;
}
static int cmd_latency(void) {
  rd_kafka_queue_t *q;
  rd_kafka_topic_t *crkt;
  rd_kafka_t *crk = consumer(&q, &crkt, RD_KAFKA_OFFSET_END);
  struct lat_producer lp = {.rk = producer(1), .total = rate * seconds};
  lp.rkt = rd_kafka_topic_new(lp.rk, topic, NULL);
  // Let the consumer reach the end of every partition before sending anything.
  rd_kafka_message_t *msgs[4096];
  double w0 = now_s();
  while (now_s() - w0 < 2) {
    ssize_t got = rd_kafka_consume_batch_queue(q, 100, msgs, 4096);
    for (ssize_t i = 0; i < got; i++) rd_kafka_message_destroy(msgs[i]);
  }
  long total = lp.total, warm = rate; // the first second is warm-up
  int64_t *lat = calloc(total, sizeof(int64_t));
  long seen = 0, nlat = 0;
  pthread_t th;
  pthread_create(&th, NULL, lat_produce, &lp);
  double t0 = now_s();
  // One message at a time: rd_kafka_consume_batch_queue would wait for a full batch or its timeout.
  while (seen < total && now_s() - t0 < seconds + 15) {
    rd_kafka_message_t *m = rd_kafka_consume_queue(q, 100);
    if (!m) continue;
    int64_t at = now_ns();
    if (!m->err && m->len >= 8) {
      int64_t ns;
      memcpy(&ns, m->payload, sizeof ns);
      if (seen++ >= warm) lat[nlat++] = at - ns;
    }
    rd_kafka_message_destroy(m);
  }
  lp.stop = 1;
  pthread_join(th, NULL);
  qsort(lat, nlat, sizeof(int64_t), cmp_i64);
#define PCT(p) (nlat ? lat[(long)((nlat - 1) * (p))] / 1e6 : -1)
  double sum = 0;
  for (long i = 0; i < nlat; i++) sum += lat[i];
  printf("{\"sent\":%ld,\"received\":%ld,\"measured\":%ld,\"failed\":%ld,\"avgMs\":%.3f,\"p50Ms\":%.3f,\"p99Ms\":%.3f,"
         "\"p999Ms\":%.3f,\"maxMs\":%.3f}\n",
         lp.sent, seen, nlat, failed, nlat ? sum / nlat / 1e6 : -1, PCT(0.5), PCT(0.99), PCT(0.999), PCT(1.0));
  rd_kafka_topic_destroy(lp.rkt);
  rd_kafka_destroy(lp.rk);
  consumer_close(crk, q, crkt);
  return seen < total ? 1 : 0;
}

static int cmd_probe(void) {
  rd_kafka_t *rk = producer(0);
  rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
  produce_one(rk, rkt, "probe", 5, RD_KAFKA_MSG_F_COPY);
  rd_kafka_flush(rk, 10000);
  printf("{\"delivered\":%ld,\"failed\":%ld}\n", delivered, failed);
  rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(rk);
  return delivered == 1 ? 0 : 1;
}

static int cmd_create(void) {
  rd_kafka_conf_t *conf = base_conf();
  apply_extra(conf);
  char err[512];
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) die("admin", err);
  char *names = strdup(topic);
  rd_kafka_NewTopic_t *nt[64];
  int n = 0;
  for (char *t = strtok(names, ","); t && n < 64; t = strtok(NULL, ",")) {
    nt[n] = rd_kafka_NewTopic_new(t, (int)partitions, 1, err, sizeof err);
    if (!nt[n++]) die("NewTopic", err);
  }
  rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
  rd_kafka_CreateTopics(rk, nt, n, NULL, q);
  rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 30000);
  int bad = 0;
  if (!ev || rd_kafka_event_error(ev)) die("CreateTopics", ev ? rd_kafka_event_error_string(ev) : "timed out");
  size_t cnt;
  const rd_kafka_topic_result_t **res = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &cnt);
  for (size_t i = 0; i < cnt; i++)
    if (rd_kafka_topic_result_error(res[i])) {
      fprintf(stderr, "rdkperf: create %s: %s\n", rd_kafka_topic_result_name(res[i]), rd_kafka_topic_result_error_string(res[i]));
      bad = 1;
    }
  printf("{\"created\":%zu}\n", cnt);
  rd_kafka_event_destroy(ev);
  for (int i = 0; i < n; i++) rd_kafka_NewTopic_destroy(nt[i]);
  rd_kafka_queue_destroy(q);
  rd_kafka_destroy(rk);
  return bad;
}

int main(int argc, char **argv) {
  if (argc < 2) die("usage", "rdkperf produce|consume|latency|probe [options]");
  const char *mode = argv[1];
  int opt;
  optind = 2;
  while ((opt = getopt(argc, argv, "b:t:n:s:a:r:p:d:X:")) != -1) {
    switch (opt) {
    case 'b': brokers = optarg; break;
    case 't': topic = optarg; break;
    case 'n': count = atol(optarg); break;
    case 's': size = atol(optarg); break;
    case 'a': acks = optarg; break;
    case 'r': rate = atol(optarg); break;
    case 'p': partitions = atol(optarg); break;
    case 'd': seconds = atol(optarg); break;
    case 'X': if (nextra < 64) extra[nextra++] = optarg; break;
    default: die("usage", "bad option");
    }
  }
  if (!strcmp(mode, "produce")) return cmd_produce();
  if (!strcmp(mode, "consume")) return cmd_consume();
  if (!strcmp(mode, "latency")) return cmd_latency();
  if (!strcmp(mode, "probe")) return cmd_probe();
  if (!strcmp(mode, "version")) return printf("librdkafka version %s\n", rd_kafka_version_str()) < 0;
  if (!strcmp(mode, "create")) return cmd_create();
  die("unknown mode", mode);
  return 2;
}
