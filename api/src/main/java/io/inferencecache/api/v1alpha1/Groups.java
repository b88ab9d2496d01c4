package io.inferencecache.api.v1alpha1;

/** The API group and version of every inference-cache resource. */
public final class Groups {

  public static final String GROUP = "inferencecache.io";
  public static final String VERSION = "v1alpha1";
  public static final String API_VERSION = GROUP + "/" + VERSION;

  private Groups() {}
}
