package io.inferencecache.api.v1alpha1.spec;

/** CacheIndex has no spec: it is a status-only view (an empty object, or none). */
public class CacheIndexSpec {}
