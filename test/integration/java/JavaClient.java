// Drives Tributary with the official Java client (kafka-clients), unchanged. Run as a single-source program:
//   java -cp 'libs/*' JavaClient.java <mode> <bootstrap> ...
// Prints one line per observation; the TypeScript test parses them.
import java.time.Duration;
import java.util.*;
import java.util.concurrent.TimeUnit;
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
      case "txn" -> txn(bootstrap, args[2], Integer.parseInt(args[3]));
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
}
