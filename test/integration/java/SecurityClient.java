// The official Java client (kafka-clients) over Tributary's security: SCRAM credentials through the Admin API, and
// produce/consume with the security settings of a properties file (SASL_SSL + SCRAM-SHA-512, mTLS, ...). Run as
//   java -cp 'libs/*' SecurityClient.java <mode> <bootstrap> ...
// Prints one line per observation; the TypeScript test parses them.
import java.io.FileReader;
import java.time.Duration;
import java.util.*;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.*;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.clients.producer.*;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.acl.*;
import org.apache.kafka.common.resource.*;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

public class SecurityClient {
  public static void main(String[] args) throws Exception {
    String mode = args[0];
    String bootstrap = args[1];
    switch (mode) {
      case "scram-upsert" -> scramUpsert(bootstrap, args[2], args[3], args[4]);
      case "roundtrip" -> roundtrip(bootstrap, args[2], args[3], Integer.parseInt(args[4]));
      case "acls" -> acls(bootstrap, args[2], args[3]);
      case "alter-config" -> alterConfig(bootstrap, args[2], args[3]);
      case "delete-records" -> deleteRecords(bootstrap, args[2], args[3]);
      case "slow" -> slow(bootstrap, args[2], args[3], Integer.parseInt(args[4]), Long.parseLong(args[5]));
      default -> throw new IllegalArgumentException("unknown mode " + mode);
    }
  }

  static void scramUpsert(String bootstrap, String user, String password, String mechanism) throws Exception {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      ScramMechanism m = ScramMechanism.fromMechanismName(mechanism);
      admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(user, new ScramCredentialInfo(m, 8192), password)))
          .all().get(30, TimeUnit.SECONDS);
      System.out.println("upserted " + user);
      UserScramCredentialsDescription d = admin.describeUserScramCredentials(List.of(user)).description(user).get(30, TimeUnit.SECONDS);
      for (ScramCredentialInfo i : d.credentialInfos()) System.out.println("described " + i.mechanism() + " " + i.iterations());
    }
  }

  /** Grants `user` WRITE, READ and CREATE on topics prefixed `<user>-` and READ on group `<user>-g`; lists them. */
  static void acls(String bootstrap, String propsFile, String user) throws Exception {
    Properties p = new Properties();
    try (FileReader r = new FileReader(propsFile)) {
      p.load(r);
    }
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (Admin admin = Admin.create(p)) {
      String principal = "User:" + user;
      ResourcePattern topics = new ResourcePattern(ResourceType.TOPIC, user + "-", PatternType.PREFIXED);
      ResourcePattern group = new ResourcePattern(ResourceType.GROUP, user + "-g", PatternType.LITERAL);
      List<AclBinding> bindings = new ArrayList<>();
      for (AclOperation op : List.of(AclOperation.WRITE, AclOperation.READ, AclOperation.CREATE))
        bindings.add(new AclBinding(topics, new AccessControlEntry(principal, "*", op, AclPermissionType.ALLOW)));
      bindings.add(new AclBinding(group, new AccessControlEntry(principal, "*", AclOperation.READ, AclPermissionType.ALLOW)));
      admin.createAcls(bindings).all().get(30, TimeUnit.SECONDS);
      System.out.println("created " + bindings.size());
      Collection<AclBinding> found = admin.describeAcls(new AclBindingFilter(
          new ResourcePatternFilter(ResourceType.ANY, null, PatternType.ANY),
          new AccessControlEntryFilter(principal, null, AclOperation.ANY, AclPermissionType.ANY))).values().get(30, TimeUnit.SECONDS);
      List<String> lines = new ArrayList<>();
      for (AclBinding b : found)
        lines.add(b.pattern().resourceType() + " " + b.pattern().patternType() + " " + b.pattern().name() + " " + b.entry().operation());
      Collections.sort(lines);
      for (String l : lines) System.out.println("acl " + l);
    }
  }

  /** Sets retention.ms=1 on the topic (which would delete its data): prints what the broker answered. */
  static void alterConfig(String bootstrap, String propsFile, String topic) throws Exception {
    Properties p = new Properties();
    try (FileReader r = new FileReader(propsFile)) {
      p.load(r);
    }
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, topic);
    try (Admin admin = Admin.create(p)) {
      try {
        admin.incrementalAlterConfigs(Map.of(res, List.of(new AlterConfigOp(new ConfigEntry("retention.ms", "1"), AlterConfigOp.OpType.SET))))
            .all().get(30, TimeUnit.SECONDS);
        System.out.println("altered");
      } catch (Exception e) {
        Throwable c = e.getCause() != null ? e.getCause() : e;
        System.out.println("alter error " + c.getClass().getSimpleName());
      }
      try {
        admin.describeConfigs(List.of(res)).all().get(30, TimeUnit.SECONDS);
        System.out.println("described");
      } catch (Exception e) {
        Throwable c = e.getCause() != null ? e.getCause() : e;
        System.out.println("describe error " + c.getClass().getSimpleName());
      }
    }
  }

  /** DeleteRecords up to the high watermark of partition 0, and ListOffsets: prints what each answered. */
  static void deleteRecords(String bootstrap, String propsFile, String topic) throws Exception {
    Properties p = new Properties();
    try (FileReader r = new FileReader(propsFile)) {
      p.load(r);
    }
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    TopicPartition tp = new TopicPartition(topic, 0);
    try (Admin admin = Admin.create(p)) {
      try {
        admin.deleteRecords(Map.of(tp, RecordsToDelete.beforeOffset(-1L))).all().get(30, TimeUnit.SECONDS);
        System.out.println("deleted");
      } catch (Exception e) {
        Throwable c = e.getCause() != null ? e.getCause() : e;
        System.out.println("delete error " + c.getClass().getSimpleName());
      }
      try {
        long end = admin.listOffsets(Map.of(tp, OffsetSpec.latest())).partitionResult(tp).get(30, TimeUnit.SECONDS).offset();
        System.out.println("end " + end);
      } catch (Exception e) {
        Throwable c = e.getCause() != null ? e.getCause() : e;
        System.out.println("list error " + c.getClass().getSimpleName());
      }
    }
  }

  /** Produces n records one at a time, pausing between them, on one producer (one connection). */
  static void slow(String bootstrap, String propsFile, String topic, int n, long pauseMs) throws Exception {
    Properties p = new Properties();
    try (FileReader r = new FileReader(propsFile)) {
      p.load(r);
    }
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
      for (int i = 0; i < n; i++) {
        producer.send(new ProducerRecord<>(topic, 0, null, "s" + i)).get(30, TimeUnit.SECONDS);
        Thread.sleep(pauseMs);
      }
      System.out.println("acked " + n);
    }
  }

  static void roundtrip(String bootstrap, String propsFile, String topic, int n) throws Exception {
    Properties security = new Properties();
    try (FileReader r = new FileReader(propsFile)) {
      security.load(r);
    }
    Properties p = new Properties();
    p.putAll(security);
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "20000");
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "20000");
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "15000");
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
      for (int i = 0; i < n; i++) producer.send(new ProducerRecord<>(topic, 0, null, "v" + i)).get(30, TimeUnit.SECONDS);
      System.out.println("acked " + n);
    } catch (Exception e) {
      Throwable c = e.getCause() != null ? e.getCause() : e;
      System.out.println("error " + c.getClass().getSimpleName() + ": " + c.getMessage());
      return;
    }
    Properties c = new Properties();
    c.putAll(security);
    c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c)) {
      consumer.assign(List.of(new TopicPartition(topic, 0)));
      consumer.seekToBeginning(List.of(new TopicPartition(topic, 0)));
      int got = 0;
      long deadline = System.currentTimeMillis() + 30_000;
      while (got < n && System.currentTimeMillis() < deadline) got += consumer.poll(Duration.ofMillis(500)).count();
      System.out.println("consumed " + got);
    }
  }
}
