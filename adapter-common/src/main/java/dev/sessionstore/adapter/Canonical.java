package dev.sessionstore.adapter;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * A canonical text of a JSON tree: object members sorted by name, numbers as written. Two
 * payloads are the same message exactly when their canonical texts are equal, whatever member
 * order or number node type the parser chose.
 */
final class Canonical {
  private Canonical() {}

  static String of(JsonNode node) {
    StringBuilder sb = new StringBuilder();
    write(node, sb);
    return sb.toString();
  }

  private static void write(JsonNode node, StringBuilder sb) {
    if (node.isObject()) {
      List<Map.Entry<String, JsonNode>> fields = new ArrayList<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        fields.add(it.next());
      }
      fields.sort(Map.Entry.comparingByKey());
      sb.append('{');
      for (int i = 0; i < fields.size(); i++) {
        if (i > 0) {
          sb.append(',');
        }
        sb.append(quote(fields.get(i).getKey())).append(':');
        write(fields.get(i).getValue(), sb);
      }
      sb.append('}');
    } else if (node.isArray()) {
      sb.append('[');
      for (int i = 0; i < node.size(); i++) {
        if (i > 0) {
          sb.append(',');
        }
        write(node.get(i), sb);
      }
      sb.append(']');
    } else if (node.isNumber()) {
      // 5 and 5L, or 1.5 as double and as BigDecimal, are the same value in JSON
      sb.append(node.isIntegralNumber() ? node.bigIntegerValue().toString()
          : node.decimalValue().stripTrailingZeros().toPlainString());
    } else {
      sb.append(node.toString());
    }
  }

  private static String quote(String s) {
    return com.fasterxml.jackson.databind.node.TextNode.valueOf(s).toString();
  }
}
