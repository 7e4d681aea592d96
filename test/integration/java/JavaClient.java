// Drives Tributary with the official Java client (kafka-clients), unchanged. Run as a single-source program:
//   java -cp 'libs/*' JavaClient.java <mode> <bootstrap> ...
// Prints one line per observation; the TypeScript test parses them.
import java.time.Duration;
import java.util.*;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.*;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.clients.producer.*;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

public class JavaClient {
  public static void main(String[] args) throws Exception {
    String mode = args[0];
    String bootstrap = args[1];
    switch (mode) {
      case "admin" -> admin(bootstrap, args[2]);
      case "produce" -> produce(bootstrap, args[2], Integer.parseInt(args[3]), args[4], args[5]);
      case "consume" -> consume(bootstrap, args[2], args[3], Integer.parseInt(args[4]), args[5]);
      case "share" -> share(bootstrap, args[2], args[3], Integer.parseInt(args[4]), args[5]);
      case "txn" -> txn(bootstrap, args[2], Integer.parseInt(args[3]));
      case "epochs" -> epochs(bootstrap, args[2]);
      case "record-errors" -> recordErrors(bootstrap, args[2]);
      default -> throw new IllegalArgumentException("unknown mode " + mode);
    }
  }

  static void admin(String bootstrap, String topic) throws Exception {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      admin.createTopics(List.of(new NewTopic(topic, 3, (short) 1).configs(Map.of("retention.ms", "3600000"))))
          .all().get(30, TimeUnit.SECONDS);
      System.out.println("created " + topic);
      Set<String> names = admin.listTopics().names().get(30, TimeUnit.SECONDS);
      System.out.println("listed " + names.contains(topic));
      TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
      System.out.println("partitions " + d.partitions().size());
      ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, topic);
      Config cfg = admin.describeConfigs(List.of(res)).all().get().get(res);
      System.out.println("retention.ms " + cfg.get("retention.ms").value());
      admin.createPartitions(Map.of(topic, NewPartitions.increaseTo(4))).all().get();
      System.out.println("partitions " + admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size());
      System.out.println("cluster " + admin.describeCluster().nodes().get().size());
      admin.deleteTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS);
      System.out.println("deleted " + topic);
    }
  }

  static void produce(String bootstrap, String topic, int n, String compression, String idempotence) throws Exception {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, compression);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, idempotence);
    try (Producer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
      List<java.util.concurrent.Future<RecordMetadata>> fs = new ArrayList<>();
      for (int i = 0; i < n; i++) fs.add(producer.send(new ProducerRecord<>(topic, "k" + i, "v" + i)));
      producer.flush();
      int acked = 0;
      for (var f : fs) {
        f.get();
        acked++;
      }
      System.out.println("acked " + acked);
    }
  }

  static void consume(String bootstrap, String topic, String group, int n, String protocol) throws Exception {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put("group.protocol", protocol);
    try (Consumer<String, String> c = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
      c.subscribe(List.of(topic));
      int got = 0;
      long deadline = System.currentTimeMillis() + 45000;
      Set<String> seen = new HashSet<>();
      while (got < n && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(500))) {
          if (seen.add(r.key())) got++;
        }
      }
      c.commitSync();
      System.out.println("consumed " + got);
      Map<TopicPartition, OffsetAndMetadata> committed = c.committed(c.assignment());
      long sum = 0;
      for (var e : committed.values()) if (e != null) sum += e.offset();
      System.out.println("committed " + sum);
    }
  }

  // Two consumers of one group share a 6-partition topic (n records), then the second leaves and the first takes
  // over its partitions and reads n more records produced after the leave. Commits after every poll.
  static void share(String bootstrap, String topic, String group, int n, String protocol) throws Exception {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      admin.createTopics(List.of(new NewTopic(topic, 6, (short) 1))).all().get(30, TimeUnit.SECONDS);
    }
    Properties pp = new Properties();
    pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    pp.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "false");
    try (Producer<String, String> producer = new KafkaProducer<>(pp, new StringSerializer(), new StringSerializer())) {
      for (int i = 0; i < n; i++) producer.send(new ProducerRecord<>(topic, i % 6, "early" + i, "v"));
      producer.flush();
      Map<String, Integer> seen = new ConcurrentHashMap<>();
      AtomicInteger dups = new AtomicInteger();
      AtomicBoolean stop1 = new AtomicBoolean(), stop2 = new AtomicBoolean();
      AtomicReference<Set<TopicPartition>> a1 = new AtomicReference<>(Set.of()), a2 = new AtomicReference<>(Set.of());
      AtomicReference<Throwable> failure = new AtomicReference<>();
      Thread t1 = new Thread(() -> shareMember(bootstrap, topic, group, protocol, seen, dups, a1, stop1, failure));
      Thread t2 = new Thread(() -> shareMember(bootstrap, topic, group, protocol, seen, dups, a2, stop2, failure));
      t1.start();
      t2.start();
      long deadline = System.currentTimeMillis() + 60000;
      while (System.currentTimeMillis() < deadline && failure.get() == null
          && !(a1.get().size() > 0 && a2.get().size() > 0 && a1.get().size() + a2.get().size() == 6 && seen.size() >= n))
        Thread.sleep(100);
      System.out.println("shared " + a1.get().size() + " " + a2.get().size() + " seen " + seen.size());
      stop2.set(true);
      t2.join();
      System.out.println("left");
      for (int i = 0; i < n; i++) producer.send(new ProducerRecord<>(topic, i % 6, "late" + i, "v"));
      producer.flush();
      deadline = System.currentTimeMillis() + 60000;
      while (System.currentTimeMillis() < deadline && failure.get() == null && !(a1.get().size() == 6 && seen.size() >= 2 * n))
        Thread.sleep(100);
      System.out.println("took over " + a1.get().size());
      stop1.set(true);
      t1.join();
      if (failure.get() != null) failure.get().printStackTrace(System.out);
      System.out.println("seen " + seen.size() + " dups " + dups.get());
    }
  }

  static void shareMember(String bootstrap, String topic, String group, String protocol, Map<String, Integer> seen,
      AtomicInteger dups, AtomicReference<Set<TopicPartition>> assigned, AtomicBoolean stop, AtomicReference<Throwable> failure) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "20");
    p.put("group.protocol", protocol);
    try (Consumer<String, String> c = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
      c.subscribe(List.of(topic));
      while (!stop.get()) {
        ConsumerRecords<String, String> rs = c.poll(Duration.ofMillis(200));
        for (ConsumerRecord<String, String> r : rs) if (seen.put(r.key(), 1) != null) dups.incrementAndGet();
        if (!rs.isEmpty()) c.commitSync();
        assigned.set(new HashSet<>(c.assignment()));
      }
    } catch (Throwable t) {
      failure.compareAndSet(null, t);
    }
  }

  static void txn(String bootstrap, String topic, int n) throws Exception {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "java-txn-" + topic);
    try (Producer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
      producer.initTransactions();
      producer.beginTransaction();
      for (int i = 0; i < n; i++) producer.send(new ProducerRecord<>(topic, "c" + i, "committed"));
      producer.commitTransaction();
      producer.beginTransaction();
      for (int i = 0; i < n; i++) producer.send(new ProducerRecord<>(topic, "a" + i, "aborted"));
      producer.flush();
      producer.abortTransaction();
      System.out.println("txn done");
    }
    Properties cp = new Properties();
    cp.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    cp.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    cp.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    try (Consumer<String, String> c = new KafkaConsumer<>(cp, new StringDeserializer(), new StringDeserializer())) {
      List<TopicPartition> tps = new ArrayList<>();
      for (var info : c.partitionsFor(topic)) tps.add(new TopicPartition(topic, info.partition()));
      c.assign(tps);
      c.seekToBeginning(tps);
      int committed = 0, aborted = 0;
      long deadline = System.currentTimeMillis() + 20000;
      while (System.currentTimeMillis() < deadline && committed < n) {
        for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(500))) {
          if (r.value().equals("committed")) committed++;
          else aborted++;
        }
      }
      System.out.println("read_committed " + committed + " " + aborted);
    }
  }

  // KIP-320: a position that carries a leader epoch is validated with OffsetForLeaderEpoch before fetching. A valid
  // one is consumed from; one beyond the end of its epoch is a truncation (LogTruncationException with reset=none).
  static void epochs(String bootstrap, String topic) throws Exception {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
    }
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (Producer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
      for (int i = 0; i < 10; i++) producer.send(new ProducerRecord<>(topic, 0, "k" + i, "v" + i)).get();
    }
    TopicPartition tp = new TopicPartition(topic, 0);
    Properties c = new Properties();
    c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    try (Consumer<String, String> consumer = new KafkaConsumer<>(c, new StringDeserializer(), new StringDeserializer())) {
      consumer.assign(List.of(tp));
      consumer.seek(tp, new OffsetAndMetadata(5, Optional.of(0), ""));
      List<ConsumerRecord<String, String>> got = new ArrayList<>();
      long deadline = System.currentTimeMillis() + 30_000;
      while (got.size() < 5 && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) got.add(r);
      }
      System.out.println("validated first " + got.get(0).offset() + " epoch " + got.get(0).leaderEpoch().orElse(-1)
          + " count " + got.size());
      consumer.seek(tp, new OffsetAndMetadata(20, Optional.of(0), ""));
      deadline = System.currentTimeMillis() + 30_000;
      try {
        while (System.currentTimeMillis() < deadline) consumer.poll(Duration.ofMillis(200));
        System.out.println("no truncation detected");
      } catch (LogTruncationException e) {
        OffsetAndMetadata d = e.divergentOffsets().get(tp);
        System.out.println("truncation at " + d.offset() + " epoch " + d.leaderEpoch().orElse(-1));
      } catch (Exception e) {
        System.out.println("other " + e.getClass().getSimpleName() + ": " + e.getMessage());
      }
    }
  }

  // KIP-467: keyless records to a compacted topic; the producer fails each record with the broker's record error.
  static void recordErrors(String bootstrap, String topic) throws Exception {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1).configs(Map.of("cleanup.policy", "compact"))))
          .all().get(30, TimeUnit.SECONDS);
    }
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.LINGER_MS_CONFIG, "200");
    try (Producer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
      List<java.util.concurrent.Future<RecordMetadata>> sent = List.of(
          producer.send(new ProducerRecord<>(topic, 0, "k", "keyed")),
          producer.send(new ProducerRecord<>(topic, 0, null, "keyless")));
      producer.flush();
      for (int i = 0; i < sent.size(); i++) {
        try {
          sent.get(i).get(30, TimeUnit.SECONDS);
          System.out.println("record " + i + " acked");
        } catch (java.util.concurrent.ExecutionException e) {
          System.out.println("record " + i + " " + e.getCause().getClass().getSimpleName() + ": " + e.getCause().getMessage());
        }
      }
      producer.send(new ProducerRecord<>(topic, 0, "k2", "after")).get(30, TimeUnit.SECONDS);
      System.out.println("keyed after acked");
    }
  }
}
