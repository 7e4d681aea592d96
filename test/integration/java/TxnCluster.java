// A transactional Java producer (kafka-clients 4.4, transaction version 2: Produce v12+ adds each partition to the
// transaction at its leader, EndTxn v5) for test/integration/txn-cluster.test.ts: ROUNDS transactions numbered from
// FIRST, each writing 3 records '<txnid>-<round>-<partition>-<i>' to every partition; round r is aborted when
// r % 3 == 1, else committed. Each transaction also commits offset r+1 of <topic>-0 for group <txnid>-group
// (sendOffsetsToTransaction: TxnOffsetCommit, the markers then reach __consumer_offsets too).
// Prints one RESULT line: {"committed": [...], "aborted": [...]}.
// Usage: java -cp <kafka-clients 4.4 jars> TxnCluster.java <bootstrap> <topic> <txnid> <first> <rounds>
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;

public class TxnCluster {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0], topic = args[1], txnId = args[2];
    int first = Integer.parseInt(args[3]), rounds = Integer.parseInt(args[4]);
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, txnId);
    p.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, "60000");
    List<String> committed = new ArrayList<>(), aborted = new ArrayList<>();
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
      producer.initTransactions();
      int partitions = producer.partitionsFor(topic).size();
      for (int r = first; r < first + rounds; r++) {
        List<String> values = new ArrayList<>();
        producer.beginTransaction();
        for (int part = 0; part < partitions; part++)
          for (int i = 0; i < 3; i++) {
            String v = txnId + "-" + r + "-" + part + "-" + i;
            values.add(v);
            producer.send(new ProducerRecord<>(topic, part, null, v));
          }
        producer.flush();
        producer.sendOffsetsToTransaction(
            Map.of(new TopicPartition(topic, 0), new OffsetAndMetadata(r + 1)),
            new ConsumerGroupMetadata(txnId + "-group"));
        if (r % 3 != 1) {
          producer.commitTransaction();
          committed.addAll(values);
        } else {
          producer.abortTransaction();
          aborted.addAll(values);
        }
      }
    }
    System.out.println("RESULT {\"committed\": " + json(committed) + ", \"aborted\": " + json(aborted) + "}");
  }

  static String json(List<String> l) {
    return l.stream().map(s -> "\"" + s + "\"").collect(Collectors.joining(",", "[", "]"));
  }
}
