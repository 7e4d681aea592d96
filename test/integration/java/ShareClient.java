// Kafka's own KafkaShareConsumer (kafka-clients 4.4) against a broker, run by test/integration/share-clients.test.ts as
// `java -cp <kafka-clients 4.4 jars> ShareClient.java <bootstrap> <scenario> <topic> <group>`. Each scenario prints
// one `RESULT {json}` line the test checks; anything wrong ends in an exception and a non-zero exit.
//   split: two share consumers in one group (implicit acknowledgement) read every record of a one-partition topic
//          between them; prints each consumer's offsets.
//   acks:  one consumer in explicit mode acknowledges by offset: offset % 3 == 0 ACCEPT, == 1 REJECT, == 2 RELEASE
//          (every time); prints every delivery (offset, delivery count) until nothing more comes.
//   offsets: the Admin client's share-group offset APIs around a consumer: listShareGroupOffsets after all 12 records
//          are accepted, alterShareGroupOffsets to 4 (refused while a member is active), a consumer reading from 4,
//          deleteShareGroupOffsets; prints what each step saw.
//   hog:   (after preparing 40 records) polls until it holds records, prints their offsets and halts the JVM without
//          acknowledging or leaving: the broker gets them back when the member's session times out.
//   drain: (no preparing) reads until all 40 records came once, implicit acceptance; prints every delivery.
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ListShareGroupOffsetsSpec;
import org.apache.kafka.clients.admin.SharePartitionOffsetInfo;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

public class ShareClient {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String scenario = args[1];
    String topic = args[2];
    String group = args[3];
    int records = switch (scenario) {
      case "split" -> 400;
      case "hog", "drain" -> 40;
      default -> 12;
    };
    if (!scenario.equals("drain")) prepare(bootstrap, topic, group, records);
    switch (scenario) {
      case "split" -> split(bootstrap, topic, group, records);
      case "acks" -> acks(bootstrap, topic, group, records);
      case "offsets" -> offsets(bootstrap, topic, group, records);
      case "hog" -> hog(bootstrap, topic, group);
      case "drain" -> drain(bootstrap, topic, group, records);
      default -> throw new IllegalArgumentException("unknown scenario " + scenario);
    }
  }

  /** The topic (one partition), its records, and the group's share.auto.offset.reset=earliest (a GROUP config). */
  static void prepare(String bootstrap, String topic, String group, int records) throws Exception {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    try (Admin admin = Admin.create(p)) {
      admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
      ConfigResource res = new ConfigResource(ConfigResource.Type.GROUP, group);
      AlterConfigOp op = new AlterConfigOp(new ConfigEntry("share.auto.offset.reset", "earliest"), AlterConfigOp.OpType.SET);
      admin.incrementalAlterConfigs(Map.of(res, (Collection<AlterConfigOp>) List.of(op))).all().get();
    }
    p.put("key.serializer", StringSerializer.class.getName());
    p.put("value.serializer", StringSerializer.class.getName());
    p.put("linger.ms", "5");
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
      // Batches of 10: a share fetch acquires whole stored batches (batch-optimized, as Kafka's brokers do), so two
      // consumers can only split the partition between them when it holds several batches.
      for (int i = 0; i < records; i++) {
        producer.send(new ProducerRecord<>(topic, null, "r" + i));
        if (i % 10 == 9) producer.flush();
      }
      producer.flush();
    }
  }

  static KafkaShareConsumer<String, String> consumer(String bootstrap, String group, String clientId, boolean explicit) {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    p.put("group.id", group);
    p.put("client.id", clientId);
    p.put("key.deserializer", StringDeserializer.class.getName());
    p.put("value.deserializer", StringDeserializer.class.getName());
    // Small polls, so both consumers of the split scenario get work.
    p.put("max.poll.records", "20");
    if (explicit) p.put("share.acknowledgement.mode", "explicit");
    return new KafkaShareConsumer<>(p);
  }

  static void split(String bootstrap, String topic, String group, int records) throws Exception {
    ConcurrentLinkedQueue<Long> all = new ConcurrentLinkedQueue<>();
    AtomicBoolean done = new AtomicBoolean(false);
    AtomicInteger ready = new AtomicInteger();
    List<List<Long>> perConsumer = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
    for (int c = 0; c < 2; c++) {
      List<Long> mine = new ArrayList<>();
      perConsumer.add(mine);
      String id = "share-" + c;
      Thread t = new Thread(() -> {
        try (KafkaShareConsumer<String, String> consumer = consumer(bootstrap, group, id, false)) {
          consumer.subscribe(List.of(topic));
          ready.incrementAndGet();
          while (!done.get()) {
            ConsumerRecords<String, String> got = consumer.poll(Duration.ofMillis(200));
            for (ConsumerRecord<String, String> r : got) {
              if (!r.value().equals("r" + r.offset())) throw new IllegalStateException("wrong value at " + r.offset());
              synchronized (mine) {
                mine.add(r.offset());
              }
              all.add(r.offset());
            }
            // Implicit mode: the next poll (or this commit) accepts what the last poll gave. Slow down a little, so
            // the other consumer gets its share of the partition.
            consumer.commitSync();
            if (!got.isEmpty()) Thread.sleep(50);
          }
        } catch (Throwable e) {
          errors.add(e);
        }
      });
      threads.add(t);
      t.start();
    }
    long deadline = System.currentTimeMillis() + 90_000;
    while (all.stream().distinct().count() < records && System.currentTimeMillis() < deadline && errors.isEmpty()) {
      Thread.sleep(100);
    }
    done.set(true);
    for (Thread t : threads) t.join(30_000);
    if (!errors.isEmpty()) throw new RuntimeException(errors.peek());
    StringBuilder out = new StringBuilder("{\"consumers\":[");
    for (int c = 0; c < perConsumer.size(); c++) {
      if (c > 0) out.append(',');
      synchronized (perConsumer.get(c)) {
        out.append(perConsumer.get(c).toString().replace(" ", ""));
      }
    }
    System.out.println("RESULT " + out.append("]}"));
  }

  static void acks(String bootstrap, String topic, String group, int records) throws Exception {
    List<String> deliveries = new ArrayList<>();
    List<String> lockTimeouts = new ArrayList<>();
    try (KafkaShareConsumer<String, String> consumer = consumer(bootstrap, group, "share-acks", true)) {
      consumer.subscribe(List.of(topic));
      long deadline = System.currentTimeMillis() + 90_000;
      long quietSince = System.currentTimeMillis();
      boolean any = false;
      while (System.currentTimeMillis() < deadline) {
        ConsumerRecords<String, String> got = consumer.poll(Duration.ofMillis(300));
        if (got.isEmpty()) {
          // Done once every record was seen and nothing came for 3 s (released ones come back at once).
          if (any && System.currentTimeMillis() - quietSince > 3_000) break;
          continue;
        }
        any = true;
        quietSince = System.currentTimeMillis();
        consumer.acquisitionLockTimeoutMs().ifPresent(ms -> lockTimeouts.add(String.valueOf(ms)));
        for (ConsumerRecord<String, String> r : got) {
          short count = r.deliveryCount().orElseThrow();
          deliveries.add("[" + r.offset() + "," + count + "]");
          AcknowledgeType type = switch ((int) (r.offset() % 3)) {
            case 0 -> AcknowledgeType.ACCEPT;
            case 1 -> AcknowledgeType.REJECT;
            default -> AcknowledgeType.RELEASE;
          };
          consumer.acknowledge(r, type);
        }
        consumer.commitSync();
      }
    }
    String locks = lockTimeouts.isEmpty() ? "null" : lockTimeouts.get(0);
    System.out.println("RESULT {\"deliveries\":[" + String.join(",", deliveries) + "],\"lockTimeoutMs\":" + locks + "}");
  }

  /** Reads with a new consumer until `expected` records came (implicit acceptance); returns their offsets. */
  static List<Long> readAll(String bootstrap, String topic, String group, int expected) {
    List<Long> offsets = new ArrayList<>();
    try (KafkaShareConsumer<String, String> consumer = consumer(bootstrap, group, "share-offsets", false)) {
      consumer.subscribe(List.of(topic));
      long deadline = System.currentTimeMillis() + 60_000;
      while (offsets.size() < expected && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(300))) offsets.add(r.offset());
      }
      consumer.commitSync();
    }
    return offsets;
  }

  static String describe(Admin admin, String group) throws Exception {
    Map<TopicPartition, SharePartitionOffsetInfo> m =
        admin.listShareGroupOffsets(Map.of(group, new ListShareGroupOffsetsSpec())).partitionsToOffsetInfo(group).get();
    StringBuilder out = new StringBuilder("[");
    for (Map.Entry<TopicPartition, SharePartitionOffsetInfo> e : m.entrySet()) {
      if (out.length() > 1) out.append(',');
      SharePartitionOffsetInfo i = e.getValue();
      out.append("{\"partition\":").append(e.getKey().partition()).append(",\"startOffset\":").append(i.startOffset())
          .append(",\"lag\":").append(i.lag().orElse(-1L)).append('}');
    }
    return out.append(']').toString();
  }

  static void offsets(String bootstrap, String topic, String group, int records) throws Exception {
    StringBuilder out = new StringBuilder("{");
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    TopicPartition tp = new TopicPartition(topic, 0);
    try (Admin admin = Admin.create(p)) {
      out.append("\"first\":").append(readAll(bootstrap, topic, group, records).size());
      out.append(",\"afterRead\":").append(describe(admin, group));
      admin.alterShareGroupOffsets(group, Map.of(tp, 4L)).all().get();
      out.append(",\"afterAlter\":").append(describe(admin, group));
      // While a member is in the group, its offsets cannot be altered.
      try (KafkaShareConsumer<String, String> active = consumer(bootstrap, group, "share-active", false)) {
        active.subscribe(List.of(topic));
        long deadline = System.currentTimeMillis() + 30_000;
        String refused = "none";
        while (System.currentTimeMillis() < deadline) {
          active.poll(Duration.ofMillis(200));
          try {
            admin.alterShareGroupOffsets(group, Map.of(tp, 0L)).all().get();
          } catch (java.util.concurrent.ExecutionException e) {
            refused = e.getCause().getClass().getSimpleName();
            break;
          }
        }
        out.append(",\"refusedWhileActive\":\"").append(refused).append('"');
        // Give back what the active member took (the next test step reads from 4 again).
        active.commitSync();
      }
      admin.alterShareGroupOffsets(group, Map.of(tp, 4L)).all().get();
      List<Long> again = readAll(bootstrap, topic, group, records - 4);
      out.append(",\"reread\":").append(again.toString().replace(" ", ""));
      admin.deleteShareGroupOffsets(group, java.util.Set.of(topic)).all().get();
      out.append(",\"afterDelete\":").append(describe(admin, group));
    }
    System.out.println("RESULT " + out.append('}'));
  }

  static void hog(String bootstrap, String topic, String group) {
    KafkaShareConsumer<String, String> consumer = consumer(bootstrap, group, "share-hog", false);
    consumer.subscribe(List.of(topic));
    List<Long> held = new ArrayList<>();
    long deadline = System.currentTimeMillis() + 60_000;
    while (held.isEmpty() && System.currentTimeMillis() < deadline) {
      for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(300))) held.add(r.offset());
    }
    System.out.println("RESULT {\"held\":" + held.toString().replace(" ", "") + "}");
    System.out.flush();
    // Killed: no acknowledgement, no leave, no close.
    Runtime.getRuntime().halt(0);
  }

  static void drain(String bootstrap, String topic, String group, int records) {
    List<String> deliveries = new ArrayList<>();
    java.util.Set<Long> seen = new java.util.HashSet<>();
    try (KafkaShareConsumer<String, String> consumer = consumer(bootstrap, group, "share-drain", false)) {
      consumer.subscribe(List.of(topic));
      long deadline = System.currentTimeMillis() + 90_000;
      while (seen.size() < records && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(300))) {
          seen.add(r.offset());
          deliveries.add("[" + r.offset() + "," + r.deliveryCount().orElseThrow() + "]");
        }
      }
      consumer.commitSync();
    }
    System.out.println("RESULT {\"deliveries\":[" + String.join(",", deliveries) + "]}");
  }
}
