// The Java client (kafka-clients) against a Tributary cluster, for test/integration/cluster-zookeeper.test.ts: the
// Admin client's view of the cluster, then an idempotent acks=all producer sending one record at a time to every
// partition in turn while a consumer group reads the topic. Prints "BROKERS <ids>" first, "ACKED <n>" every 20
// acknowledged records (the test kill -9s a leader meanwhile), and one RESULT line at the end.
// Usage: java -cp <kafka-clients jars> ClusterClient.java <bootstrap> <topic> <group> <records>
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

public class ClusterClient {
  static synchronized void say(String line) {
    System.out.println(line);
    System.out.flush();
  }

  public static void main(String[] args) throws Exception {
    String bootstrap = args[0], topic = args[1], group = args[2];
    int records = Integer.parseInt(args[3]);

    Properties ap = new Properties();
    ap.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    int partitions;
    try (Admin admin = Admin.create(ap)) {
      List<Integer> ids = new ArrayList<>();
      for (Node n : admin.describeCluster().nodes().get()) ids.add(n.id());
      Collections.sort(ids);
      say("BROKERS " + ids.stream().map(String::valueOf).collect(Collectors.joining(",")));
      TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
      partitions = d.partitions().size();
    }

    Set<String> consumed = ConcurrentHashMap.newKeySet();
    AtomicInteger deliveries = new AtomicInteger();
    AtomicInteger unknown = new AtomicInteger();
    AtomicInteger commitFailures = new AtomicInteger();
    Set<String> acked = ConcurrentHashMap.newKeySet();
    AtomicInteger failed = new AtomicInteger();
    AtomicInteger outOfOrder = new AtomicInteger();

    Thread reader = new Thread(() -> {
      Properties cp = new Properties();
      cp.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      cp.put(ConsumerConfig.GROUP_ID_CONFIG, group);
      cp.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
      cp.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
      cp.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
      cp.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
      try (KafkaConsumer<String, String> c = new KafkaConsumer<>(cp)) {
        c.subscribe(List.of(topic));
        long deadline = Long.MAX_VALUE;
        while (System.currentTimeMillis() < deadline) {
          for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
            deliveries.incrementAndGet();
            if (!r.value().startsWith("java-")) unknown.incrementAndGet();
            consumed.add(r.value());
          }
          try {
            c.commitSync(Duration.ofSeconds(10));
          } catch (Exception e) {
            // A coordinator that moved, or a rebalance: the next poll carries on (at-least-once).
            commitFailures.incrementAndGet();
          }
          if (done.get()) {
            if (deadline == Long.MAX_VALUE) deadline = System.currentTimeMillis() + 60_000;
            if (consumed.containsAll(acked)) break;
          }
        }
      }
    });
    reader.start();

    Properties pp = new Properties();
    pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    pp.put(ProducerConfig.ACKS_CONFIG, "all");
    pp.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    pp.put(ProducerConfig.LINGER_MS_CONFIG, "0");
    pp.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "120000");
    pp.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
    pp.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    pp.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    Map<Integer, Long> lastOffset = new HashMap<>();
    try (KafkaProducer<String, String> p = new KafkaProducer<>(pp)) {
      for (int i = 0; i < records; i++) {
        String value = "java-" + i;
        p.send(new ProducerRecord<>(topic, i % partitions, null, value), (md, e) -> {
          if (e != null) {
            failed.incrementAndGet();
            say("FAILED " + value + " " + e);
            return;
          }
          synchronized (lastOffset) {
            Long last = lastOffset.get(md.partition());
            if (last != null && md.offset() <= last) outOfOrder.incrementAndGet();
            lastOffset.put(md.partition(), md.offset());
          }
          acked.add(value);
          if (acked.size() % 20 == 0) say("ACKED " + acked.size());
        });
        Thread.sleep(15);
      }
      p.flush();
    }
    done.set(true);
    reader.join();
    int missing = 0;
    for (String v : acked) if (!consumed.contains(v)) missing++;
    say(String.format(
        "RESULT {\"acked\":%d,\"failed\":%d,\"outOfOrder\":%d,\"consumed\":%d,\"deliveries\":%d,\"missing\":%d,\"unknown\":%d,\"commitFailures\":%d}",
        acked.size(), failed.get(), outOfOrder.get(), consumed.size(), deliveries.get(), missing, unknown.get(),
        commitFailures.get()));
  }

  static final AtomicBoolean done = new AtomicBoolean();
}
