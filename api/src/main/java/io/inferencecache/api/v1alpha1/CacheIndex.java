package io.inferencecache.api.v1alpha1;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;
import io.inferencecache.api.v1alpha1.spec.CacheIndexSpec;
import io.inferencecache.api.v1alpha1.status.CacheIndexStatus;

/**
 * The live, cluster-wide view of the index ({@code kubectl get cacheindex}): a cluster-scoped,
 * status-only singleton named {@value #NAME} that the controller creates and keeps current.
 */
@Group(Groups.GROUP)
@Version(Groups.VERSION)
@ShortNames("ci")
@AdditionalPrinterColumn(
    name = "Prefixes",
    jsonPath = ".status.prefixes.summary.total",
    type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
    name = "Changed",
    jsonPath = ".status.lastUpdated",
    type = AdditionalPrinterColumn.Type.DATE)
@AdditionalPrinterColumn(
    name = "Age",
    jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
public class CacheIndex extends CustomResource<CacheIndexSpec, CacheIndexStatus> {

  /** The one CacheIndex's name. */
  public static final String NAME = "cluster-default";
}
