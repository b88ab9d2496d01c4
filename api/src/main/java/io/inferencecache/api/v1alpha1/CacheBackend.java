package io.inferencecache.api.v1alpha1;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;
import io.inferencecache.api.v1alpha1.spec.CacheBackendSpec;
import io.inferencecache.api.v1alpha1.status.CacheBackendStatus;

/**
 * A KV-cache backend for a set of engine pods ({@code kubectl get cb}): the admission webhook wires
 * matching pods to it at creation, and the controller runs what it needs (LMCache servers, a
 * managed Redis) and reports its health.
 */
@Group(Groups.GROUP)
@Version(Groups.VERSION)
@ShortNames("cb")
@AdditionalPrinterColumn(
    name = "Type",
    jsonPath = ".spec.type",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Ready",
    jsonPath = ".status.conditions[?(@.type==\"Ready\")].status",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Matched",
    jsonPath = ".status.matchedEnginePods",
    type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
    name = "Remote",
    jsonPath = ".status.remoteStorage.endpoint",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Prefixes",
    jsonPath = ".status.indexParticipation.prefixCount",
    type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
    name = "LastEvent",
    jsonPath = ".status.indexParticipation.lastEventAt",
    type = AdditionalPrinterColumn.Type.DATE)
@AdditionalPrinterColumn(
    name = "Age",
    jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
public class CacheBackend extends CustomResource<CacheBackendSpec, CacheBackendStatus>
    implements Namespaced {}
