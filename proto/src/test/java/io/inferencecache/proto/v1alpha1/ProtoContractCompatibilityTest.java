package io.inferencecache.proto.v1alpha1;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.Descriptors.DescriptorValidationException;
import com.google.protobuf.Descriptors.FileDescriptor;
import io.grpc.MethodDescriptor.MethodType;
import io.grpc.ServiceDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.SequencedSet;
import org.junit.jupiter.api.Test;

/**
 * Pins the wire contract to the frozen description in {@code inferencecache-v1alpha1.contract}: the
 * Go inference-cache's v1alpha1 proto, element by element. Adding a field or a method is allowed
 * (append its line to the frozen file); renaming, renumbering, retyping or removing anything fails
 * here, because peers built against upstream would break.
 */
class ProtoContractCompatibilityTest {

  private static final String FROZEN = "/inferencecache-v1alpha1.contract";

  private static SequencedSet<String> frozen() throws IOException {
    try (InputStream in =
        Objects.requireNonNull(
            ProtoContractCompatibilityTest.class.getResourceAsStream(FROZEN), FROZEN)) {
      SequencedSet<String> lines = new LinkedHashSet<>();
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        if (!line.isBlank() && !line.startsWith("#")) {
          lines.add(line.strip());
        }
      }
      return lines;
    }
  }

  private static SequencedSet<String> generated() {
    return ContractDescription.of(InferenceCacheProto.getDescriptor());
  }

  @Test
  void nothingFrozenIsRenamedRenumberedRetypedOrRemoved() throws IOException {
    assertThat(ContractDescription.breakingChanges(frozen(), generated()))
        .as("frozen contract lines no longer true of inferencecache.proto")
        .isEmpty();
  }

  @Test
  void everyElementOfTheContractIsFrozen() throws IOException {
    SequencedSet<String> unpinned = new LinkedHashSet<>(generated());
    unpinned.removeAll(frozen());

    assertThat(unpinned)
        .as("new contract elements: append these lines to %s so they are pinned too", FROZEN)
        .isEmpty();
  }

  @Test
  void grpcMethodsHaveUpstreamFullNamesAndKinds() {
    ServiceDescriptor service = InferenceCacheGrpc.getServiceDescriptor();

    assertThat(service.getName()).isEqualTo("inferencecache.v1alpha1.InferenceCache");
    assertThat(service.getMethods())
        .extracting(m -> m.getFullMethodName() + " " + m.getType())
        .containsExactlyInAnyOrder(
            "inferencecache.v1alpha1.InferenceCache/RenderTemplate " + MethodType.UNARY,
            "inferencecache.v1alpha1.InferenceCache/LookupRoute " + MethodType.UNARY,
            "inferencecache.v1alpha1.InferenceCache/LookupPDRoute " + MethodType.UNARY,
            "inferencecache.v1alpha1.InferenceCache/GetCacheState " + MethodType.UNARY,
            "inferencecache.v1alpha1.InferenceCache/ReportCacheState "
                + MethodType.CLIENT_STREAMING,
            "inferencecache.v1alpha1.InferenceCache/PublishEvent " + MethodType.UNARY,
            "inferencecache.v1alpha1.InferenceCache/StreamCacheEvents "
                + MethodType.SERVER_STREAMING,
            "inferencecache.v1alpha1.InferenceCache/StreamMetrics " + MethodType.SERVER_STREAMING);
  }

  /** The check itself must catch a renumbered field, or it proves nothing. */
  @Test
  void aRenumberedFieldIsReportedAsBreaking() throws Exception {
    FileDescriptor renumbered =
        mutateField("LookupRouteRequest", "block_hashes", f -> f.setNumber(99));

    assertThat(ContractDescription.breakingChanges(frozen(), ContractDescription.of(renumbered)))
        .containsExactly(
            "field inferencecache.v1alpha1.LookupRouteRequest.block_hashes = 7 repeated bytes");
  }

  @Test
  void aRetypedFieldIsReportedAsBreaking() throws Exception {
    FileDescriptor retyped =
        mutateField(
            "LookupRouteRequest",
            "prefix_token_count",
            f -> f.setType(FieldDescriptorProto.Type.TYPE_INT64));

    assertThat(ContractDescription.breakingChanges(frozen(), ContractDescription.of(retyped)))
        .containsExactly(
            "field inferencecache.v1alpha1.LookupRouteRequest.prefix_token_count = 4 singular int32");
  }

  @Test
  void anAddedFieldIsCompatible() throws Exception {
    FileDescriptorProto.Builder proto = InferenceCacheProto.getDescriptor().toProto().toBuilder();
    proto.getMessageTypeBuilderList().stream()
        .filter(m -> m.getName().equals("Ack"))
        .findFirst()
        .orElseThrow()
        .addField(
            FieldDescriptorProto.newBuilder()
                .setName("detail")
                .setNumber(3)
                .setType(FieldDescriptorProto.Type.TYPE_STRING)
                .setLabel(FieldDescriptorProto.Label.LABEL_OPTIONAL));

    SequencedSet<String> extended = ContractDescription.of(build(proto));

    assertThat(ContractDescription.breakingChanges(frozen(), extended)).isEmpty();
    assertThat(extended).contains("field inferencecache.v1alpha1.Ack.detail = 3 singular string");
  }

  private interface FieldEdit {
    void apply(FieldDescriptorProto.Builder field);
  }

  private static FileDescriptor mutateField(String message, String field, FieldEdit edit)
      throws DescriptorValidationException {
    FileDescriptorProto.Builder proto = InferenceCacheProto.getDescriptor().toProto().toBuilder();
    edit.apply(
        proto.getMessageTypeBuilderList().stream()
            .filter(m -> m.getName().equals(message))
            .findFirst()
            .orElseThrow()
            .getFieldBuilderList()
            .stream()
            .filter(f -> f.getName().equals(field))
            .findFirst()
            .orElseThrow());
    return build(proto);
  }

  private static FileDescriptor build(FileDescriptorProto.Builder proto)
      throws DescriptorValidationException {
    List<FileDescriptor> dependencies = InferenceCacheProto.getDescriptor().getDependencies();
    return FileDescriptor.buildFrom(proto.build(), dependencies.toArray(FileDescriptor[]::new));
  }
}
