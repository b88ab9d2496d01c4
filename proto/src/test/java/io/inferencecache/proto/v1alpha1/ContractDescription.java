package io.inferencecache.proto.v1alpha1;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.SequencedSet;

/**
 * Renders a proto file as one line per service, method, message, field, enum and enum value: every
 * property a wire peer depends on (full names, field numbers, cardinality, scalar or referenced
 * types, streaming modes, enum numbers), nothing else. Comparing two renderings line by line tells
 * a compatible change (lines added) from a breaking one (lines changed or removed).
 */
final class ContractDescription {

  private ContractDescription() {}

  static SequencedSet<String> of(FileDescriptor file) {
    SequencedSet<String> lines = new LinkedHashSet<>();
    lines.add("package " + file.getPackage());
    for (ServiceDescriptor service : file.getServices()) {
      lines.add("service " + service.getFullName());
      for (MethodDescriptor method : service.getMethods()) {
        lines.add(
            "rpc "
                + service.getFullName()
                + "/"
                + method.getName()
                + " "
                + streamingMode(method)
                + " "
                + method.getInputType().getFullName()
                + " -> "
                + method.getOutputType().getFullName());
      }
    }
    for (EnumDescriptor enumType : file.getEnumTypes()) {
      describe(enumType, lines);
    }
    for (Descriptor message : file.getMessageTypes()) {
      describe(message, lines);
    }
    return lines;
  }

  private static String streamingMode(MethodDescriptor method) {
    if (method.isClientStreaming() && method.isServerStreaming()) {
      return "BIDI_STREAMING";
    }
    if (method.isClientStreaming()) {
      return "CLIENT_STREAMING";
    }
    return method.isServerStreaming() ? "SERVER_STREAMING" : "UNARY";
  }

  private static void describe(Descriptor message, SequencedSet<String> lines) {
    if (message.getOptions().getMapEntry()) {
      return; // rendered as the map field that owns it
    }
    lines.add("message " + message.getFullName());
    for (FieldDescriptor field : message.getFields()) {
      lines.add(
          "field "
              + field.getFullName()
              + " = "
              + field.getNumber()
              + " "
              + cardinalityAndType(field));
    }
    for (EnumDescriptor nested : message.getEnumTypes()) {
      describe(nested, lines);
    }
    for (Descriptor nested : message.getNestedTypes()) {
      describe(nested, lines);
    }
  }

  private static void describe(EnumDescriptor enumType, SequencedSet<String> lines) {
    lines.add("enum " + enumType.getFullName());
    for (EnumValueDescriptor value : enumType.getValues()) {
      lines.add(
          "value " + enumType.getFullName() + "." + value.getName() + " = " + value.getNumber());
    }
  }

  private static String cardinalityAndType(FieldDescriptor field) {
    if (field.isMapField()) {
      Descriptor entry = field.getMessageType();
      return "map<"
          + typeName(entry.findFieldByName("key"))
          + ", "
          + typeName(entry.findFieldByName("value"))
          + ">";
    }
    return (field.isRepeated() ? "repeated " : "singular ") + typeName(field);
  }

  private static String typeName(FieldDescriptor field) {
    return switch (field.getType()) {
      case MESSAGE, GROUP -> "message " + field.getMessageType().getFullName();
      case ENUM -> "enum " + field.getEnumType().getFullName();
      default -> field.getType().name().toLowerCase(java.util.Locale.ROOT);
    };
  }

  /**
   * What {@code actual} breaks of {@code frozen}: every frozen line that is no longer there. An
   * empty list means the change is compatible (at most additive).
   */
  static List<String> breakingChanges(SequencedSet<String> frozen, SequencedSet<String> actual) {
    List<String> missing = new ArrayList<>();
    for (String line : frozen) {
      if (!actual.contains(line)) {
        missing.add(line);
      }
    }
    return missing;
  }
}
