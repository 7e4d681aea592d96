// Kafka's own message serializers as an independent encoder, for test/integration/kafka-goldens.test.ts. Reads
// lines "<message name> <version> <json>" from stdin (the JSON in the shape of Kafka's *JsonConverter classes) and
// answers each with the hex of Kafka's encoding, or "ERR <reason>"; "RANGE <message name>" answers the versions the
// jar defines. Runs against the kafka-clients jar given on the
// class path (4.4 for the versions it defines, an older one for the versions Kafka 4 removed).
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Message;
import org.apache.kafka.common.protocol.ObjectSerializationCache;

public class KafkaEncode {
  public static void main(String[] args) throws Exception {
    ObjectMapper mapper = new ObjectMapper();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
    String line;
    while ((line = in.readLine()) != null) {
      String[] parts = line.split(" ", 3);
      try {
        if (parts[0].equals("RANGE")) {
          // RANGE <message name>: the versions this jar defines for it.
          Message m = (Message) Class.forName("org.apache.kafka.common.message." + parts[1] + "Data")
              .getConstructor().newInstance();
          out.println(m.lowestSupportedVersion() + " " + m.highestSupportedVersion());
          out.flush();
          continue;
        }
        Class<?> conv = Class.forName("org.apache.kafka.common.message." + parts[0] + "DataJsonConverter");
        Method read = conv.getMethod("read", JsonNode.class, short.class);
        short version = Short.parseShort(parts[1]);
        Message msg = (Message) read.invoke(null, mapper.readTree(parts[2]), version);
        ObjectSerializationCache cache = new ObjectSerializationCache();
        ByteBuffer buf = ByteBuffer.allocate(msg.size(cache, version));
        msg.write(new ByteBufferAccessor(buf), cache, version);
        buf.flip();
        StringBuilder hex = new StringBuilder();
        while (buf.hasRemaining()) hex.append(String.format("%02x", buf.get() & 0xff));
        out.println(hex);
      } catch (Throwable t) {
        Throwable c = t.getCause() != null ? t.getCause() : t;
        out.println("ERR " + c.getClass().getSimpleName() + ": " + String.valueOf(c.getMessage()).replace('\n', ' '));
      }
      out.flush();
    }
  }
}
