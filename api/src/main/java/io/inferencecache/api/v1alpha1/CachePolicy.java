package io.inferencecache.api.v1alpha1;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;
import io.inferencecache.api.v1alpha1.spec.CachePolicySpec;
import io.inferencecache.api.v1alpha1.status.Conditions;

/**
 * The lookup and eviction policy of a namespace ({@code kubectl get cpol}); at most one per
 * namespace. The controller pushes every CachePolicy to the servers.
 */
@Group(Groups.GROUP)
@Version(Groups.VERSION)
@ShortNames("cpol")
@AdditionalPrinterColumn(
    name = "Eviction",
    jsonPath = ".spec.eviction",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Age",
    jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
public class CachePolicy extends CustomResource<CachePolicySpec, Conditions>
    implements Namespaced {}
