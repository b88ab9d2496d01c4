package io.inferencecache.api.v1alpha1;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;
import io.inferencecache.api.v1alpha1.spec.PDTopologySpec;
import io.inferencecache.api.v1alpha1.status.Conditions;

/** Prefill and decode pools for disaggregated serving ({@code kubectl get pdt}); declarative. */
@Group(Groups.GROUP)
@Version(Groups.VERSION)
@ShortNames("pdt")
@AdditionalPrinterColumn(
    name = "Prefill",
    jsonPath = ".spec.prefillPools[*].name",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Decode",
    jsonPath = ".spec.decodePools[*].name",
    type = AdditionalPrinterColumn.Type.STRING)
public class PDTopology extends CustomResource<PDTopologySpec, Conditions> implements Namespaced {}
