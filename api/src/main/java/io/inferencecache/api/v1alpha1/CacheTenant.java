package io.inferencecache.api.v1alpha1;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;
import io.inferencecache.api.v1alpha1.spec.CacheTenantSpec;
import io.inferencecache.api.v1alpha1.status.CacheTenantStatus;

/** A tenant of the index with its key quota ({@code kubectl get ct}). */
@Group(Groups.GROUP)
@Version(Groups.VERSION)
@ShortNames("ct")
@AdditionalPrinterColumn(
    name = "Tenant",
    jsonPath = ".spec.tenantID",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Entries",
    jsonPath = ".status.indexEntries",
    type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
    name = "Quota",
    jsonPath = ".spec.quota.maxIndexEntries",
    type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
    name = "Isolation",
    jsonPath = ".spec.isolationMode",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Age",
    jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
public class CacheTenant extends CustomResource<CacheTenantSpec, CacheTenantStatus>
    implements Namespaced {}
