package io.inferencecache.api.v1alpha1;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;
import io.inferencecache.api.v1alpha1.spec.PromptTemplateSpec;
import io.inferencecache.api.v1alpha1.status.PromptTemplateStatus;

/** A prompt template with stable and mutable slots ({@code kubectl get pt}); declarative only. */
@Group(Groups.GROUP)
@Version(Groups.VERSION)
@ShortNames("pt")
@AdditionalPrinterColumn(
    name = "Revision",
    jsonPath = ".status.templateRevision",
    type = AdditionalPrinterColumn.Type.STRING)
public class PromptTemplate extends CustomResource<PromptTemplateSpec, PromptTemplateStatus>
    implements Namespaced {}
