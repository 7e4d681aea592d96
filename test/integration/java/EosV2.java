// Exactly-once consume-transform-produce with the Java client (kafka-clients 4.4) against Tributary, for
// test/integration/java-eos-v2.test.ts: a transactional producer sends each polled batch's results and the
// consumer's offsets in one transaction; then a transaction is aborted on purpose; then the output is read with
// read_committed and the group's committed offsets are read back. Prints one RESULT line.
// Usage: java -cp <kafka-clients 4.4 jars> EosV2.java <bootstrap> <input> <output> <group>
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

public class EosV2 {
  static final int RECORDS = 300;

  public static void main(String[] args) throws Exception {
    String bootstrap = args[0], in = args[1], out = args[2], group = args[3];

    Properties plain = new Properties();
    plain.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    plain.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    plain.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    try (KafkaProducer<String, String> seed = new KafkaProducer<>(plain)) {
      for (int i = 0; i < RECORDS; i++) seed.send(new ProducerRecord<>(in, null, Integer.toString(i))).get();
    }

    Properties cp = new Properties();
    cp.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    cp.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    cp.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    cp.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    cp.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    cp.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "50");
    cp.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    cp.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    Properties tp = new Properties();
    tp.putAll(plain);
    tp.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "java-eos-v2");

    int processed = 0, transactions = 0;
    long deadline = System.currentTimeMillis() + 120_000;
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(cp);
        KafkaProducer<String, String> producer = new KafkaProducer<>(tp)) {
      producer.initTransactions();
      consumer.subscribe(List.of(in));
      while (processed < RECORDS) {
        if (System.currentTimeMillis() > deadline) throw new IllegalStateException("only " + processed + " processed");
        ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(500));
        if (records.isEmpty()) continue;
        producer.beginTransaction();
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (ConsumerRecord<String, String> r : records) {
          producer.send(new ProducerRecord<>(out, null, "x" + r.value()));
          offsets.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
        }
        producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
        producer.commitTransaction();
        processed += records.count();
        transactions++;
      }
      producer.beginTransaction();
      producer.send(new ProducerRecord<>(out, null, "aborted"));
      producer.flush();
      producer.abortTransaction();
    }

    List<String> output = new ArrayList<>();
    long committed = 0;
    Properties rp = new Properties();
    rp.putAll(cp);
    rp.remove(ConsumerConfig.GROUP_ID_CONFIG);
    rp.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "500");
    try (KafkaConsumer<String, String> reader = new KafkaConsumer<>(rp)) {
      List<TopicPartition> parts = reader.partitionsFor(out).stream()
          .map(p -> new TopicPartition(out, p.partition())).collect(Collectors.toList());
      reader.assign(parts);
      reader.seekToBeginning(parts);
      long end = System.currentTimeMillis() + 20_000;
      int empty = 0;
      while (System.currentTimeMillis() < end && empty < 3) {
        ConsumerRecords<String, String> rs = reader.poll(Duration.ofMillis(1000));
        if (rs.isEmpty() && output.size() >= RECORDS) empty++;
        for (ConsumerRecord<String, String> r : rs) output.add(r.value());
      }
    }
    try (KafkaConsumer<String, String> c = new KafkaConsumer<>(cp)) {
      List<TopicPartition> parts = c.partitionsFor(in).stream()
          .map(p -> new TopicPartition(in, p.partition())).collect(Collectors.toList());
      for (OffsetAndMetadata o : c.committed(new java.util.HashSet<>(parts)).values()) if (o != null) committed += o.offset();
    }
    Collections.sort(output);
    StringBuilder json = new StringBuilder("{\"processed\":" + processed + ",\"transactions\":" + transactions
        + ",\"committed\":" + committed + ",\"output\":[");
    for (int i = 0; i < output.size(); i++) json.append(i == 0 ? "" : ",").append('"').append(output.get(i)).append('"');
    System.out.println("RESULT " + json.append("]}"));
  }
}
